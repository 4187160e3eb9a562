/**
 * The three writes that name their home only in their JSON body (POST
 * /callbacks, /wellbeing-plans, /visits; hub/cluster/held-body.ts,
 * home-of-request.ts `body` entries) reach the home's owner through any
 * node, on real processes with the hub's own wiring (HUB_PARTITIONS=spread,
 * real PostgreSQL and Redis). Before the front read these bodies, the
 * leader took them and answered 503 `unavailable` for a home it did not
 * own. The front's cases (bounds, malformed bodies, a stalled client) are
 * in tests/owner-routing.test.ts, on stand-in servers.
 */
import { describe, expect, it } from 'vitest';
import { partitionOfHome } from '../hub/core/partitions.js';
import { startClusterProcess, type ClusterProcess } from './helpers/cluster-processes.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';
import { provisionHomeThrough } from './helpers/provision.js';
import type { ApiClient } from './helpers/api-client.js';
import { withClient } from './helpers/pg-server.js';

const bed = useClusterTestbed('hub_owner_body', 3_000);
const options = () => bed.options({ HUB_PARTITIONS: 'spread' });

async function owned(node: ClusterProcess): Promise<Set<number>> {
  const health = (await (await fetch(`${node.httpUrl}/api/v1/health`)).json()) as { partitions: { owned: number[] } };
  return new Set(health.partitions.owned);
}

/** A home (with its resident) in one of `node`'s partitions. */
async function homeOwnedBy(api: ApiClient, node: ClusterProcess): Promise<{ homeId: string; residentId: string }> {
  const mine = await owned(node);
  for (let i = 0; i < 40; i++) {
    const { homeId } = await provisionHomeThrough(api);
    if (!mine.has(partitionOfHome(homeId))) continue;
    const home = (await api.get(`/api/v1/homes/${homeId}`)).body as { residentId: string };
    return { homeId, residentId: home.residentId };
  }
  throw new Error(`no home fell in ${node.name}'s partitions`);
}

describe('writes naming their home in the body, on a spread cluster', () => {
  it("a call-back, a wellbeing plan and a visit sent to the leader for a home another node owns are written by that node, into the home's partition; the other way round too", async () => {
    const a = await startClusterProcess('node-a', options());
    await a.leading;
    const b = await startClusterProcess('node-b', options());
    await expect.poll(async () => [(await owned(a)).size, (await owned(b)).size], { timeout: 30_000 }).toEqual([128, 128]);

    const apiA = await a.api();
    const ofB = await homeOwnedBy(apiA, b);
    const ofA = await homeOwnedBy(apiA, a);
    const due = new Date(Date.now() + 3_600_000).toISOString();
    const writes = [
      ['/api/v1/callbacks', { homeId: ofB.homeId, dueAt: due, note: '回电' }],
      ['/api/v1/wellbeing-plans', { homeId: ofB.homeId, everyDays: 7, firstDueAt: due }],
      ['/api/v1/visits', { residentId: ofB.residentId, visitedAt: new Date(Date.now() - 60_000).toISOString(), condition: 'well', followUp: true }],
    ] as const;
    for (const [path, body] of writes) {
      const answer = await apiA.post(path, body);
      expect({ path, status: answer.status, homeId: answer.body.homeId }).toEqual({ path, status: 201, homeId: ofB.homeId });
    }
    // Through b, for a home a owns.
    const apiB = await b.api();
    expect((await apiB.post('/api/v1/callbacks', { homeId: ofA.homeId, dueAt: due })).status).toBe(201);

    const lines = await withClient(bed.databaseUrl, async (client) =>
      (
        await client.query<{ type: string; owner: string; partition: number }>(
          "SELECT j.type, w.owner, j.partition FROM journal j JOIN journal_writer w ON w.session = j.writer WHERE j.type IN ('callback.scheduled', 'wellbeing.plan_set', 'alert.raised') ORDER BY j.n",
        )
      ).rows,
    );
    // Every line of b's home by b (the visit's follow-up alert and its call-back too), a's one by a, nothing elsewhere.
    const pB = partitionOfHome(ofB.homeId);
    const pA = partitionOfHome(ofA.homeId);
    expect(new Set(lines.filter((l) => l.partition === pB).map((l) => `${l.type} by ${l.owner}`))).toEqual(new Set(['callback.scheduled by node-b', 'wellbeing.plan_set by node-b', 'alert.raised by node-b']));
    expect(lines.filter((l) => l.partition !== pB)).toEqual([{ type: 'callback.scheduled', owner: 'node-a', partition: pA }]);
    for (const node of [a, b]) expect(node.proc.stdout() + node.proc.stderr()).not.toMatch(/"level":(50|60)/);
  }, 90_000);
});
