/**
 * Leadership moving between processes (issue 12 items 2 and 3, the lease
 * part): each node is a child process holding a PostgreSQL journal that waits
 * for leadership (tests/helpers/pg-journal-node.ts), on this machine's real
 * server, a fresh database per test. A standby takes over when the leader is
 * killed; a leader frozen with SIGSTOP loses its session — and the lock —
 * within the lease, and once resumed can write nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyPgJournal } from '../hub/storage/postgres/verify-journal-pg.js';
import { useJournalNodes } from './helpers/journal-node-process.js';
import { createPgDatabase, withClient } from './helpers/pg-server.js';

const LEASE_MS = 2_000;
const startNode = useJournalNodes();
let db: Awaited<ReturnType<typeof createPgDatabase>>;

beforeEach(async () => {
  db = await createPgDatabase();
});
afterEach(async () => {
  await db.drop();
});

const node = (nodeId: string) => startNode({ url: db.url, nodeId, leaseMs: LEASE_MS });

/** Node A leads (epoch 1) and has written n=1; node B waits for the lock. */
async function leaderWithOneLineAndStandby() {
  const a = node('node-a');
  await a.line(/^leader epoch 1 lastN 0$/);
  a.send('append a1');
  await a.line(/^durable n=1 tag=a1$/);
  const b = node('node-b');
  await b.line(/^standby: leader is node-a epoch 1$/);
  return { a, b };
}

async function journalRows(): Promise<{ n: number; node: string; tag: string }[]> {
  const { rows } = await withClient(db.url, (c) => c.query<{ n: string; data: { node: string; tag: string } }>('SELECT n, data FROM journal ORDER BY n'));
  return rows.map((r) => ({ n: Number(r.n), node: r.data.node, tag: r.data.tag }));
}

async function leaderRow() {
  const { rows } = await withClient(db.url, (c) => c.query('SELECT epoch::int, node_id, http_url FROM cluster_leader'));
  return rows[0];
}

async function verify() {
  return withClient(db.url, (c) => verifyPgJournal(c));
}

describe('a standby takes over', () => {
  it('when the leader process is killed with SIGKILL: the next epoch, the same chain', async () => {
    const { a, b } = await leaderWithOneLineAndStandby();

    a.child.kill('SIGKILL');
    // The server sees the socket close and ends the backend: the lock goes at once, no lease to wait for.
    await b.line(/^leader epoch 2 lastN 1$/);
    b.send('append b1');
    await b.line(/^durable n=2 tag=b1$/);

    expect(await journalRows()).toEqual([
      { n: 1, node: 'node-a', tag: 'a1' },
      { n: 2, node: 'node-b', tag: 'b1' },
    ]);
    expect(await verify()).toEqual({ ok: true, lines: 2 });
    expect(await leaderRow()).toEqual({ epoch: 2, node_id: 'node-b', http_url: 'http://node-b.test:8080' });
  });
});

describe('a leader frozen with SIGSTOP (fencing)', () => {
  it('loses the lock within the lease; resumed, its appends are refused and it says leadership is lost', async () => {
    const { a, b } = await leaderWithOneLineAndStandby();

    a.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    // Generous bound: a loaded 2-core machine; the lease itself is what is awaited.
    await b.line(/^leader epoch 2 lastN 1$/, LEASE_MS + 20_000);
    const tookOverMs = Date.now() - frozenAt;
    // Not before the server ended A's idle session: A pings every lease/5, so at least ~3/5 of a lease.
    expect(tookOverMs).toBeGreaterThanOrEqual(LEASE_MS / 2);
    b.send('append b1');
    await b.line(/^durable n=2 tag=b1$/);

    a.child.kill('SIGCONT');
    a.send('append a2'); // A still believes it leads at n=1
    // Its session was ended by the server while it was frozen: it learns so on waking, and never reconnects.
    expect(await a.line(/^leadership lost: /)).toMatch(/the leader's database session ended/);
    expect(await a.line(/^failed tag=a2: /)).toMatch(/journal write failed|journal is unhealthy/);
    b.send('append b2');
    await b.line(/^durable n=3 tag=b2$/);

    const rows = await journalRows();
    expect(rows).toEqual([
      { n: 1, node: 'node-a', tag: 'a1' },
      { n: 2, node: 'node-b', tag: 'b1' },
      { n: 3, node: 'node-b', tag: 'b2' },
    ]);
    const firstOfB = rows.find((r) => r.node === 'node-b')!.n;
    expect(rows.filter((r) => r.node === 'node-a' && r.n > firstOfB)).toEqual([]);
    expect(await verify()).toEqual({ ok: true, lines: 3 });
    expect(await leaderRow()).toMatchObject({ epoch: 2, node_id: 'node-b' });
    expect(a.stdout()).not.toMatch(/^durable n=2/m);
  });
});
