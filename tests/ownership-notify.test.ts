/**
 * Webhooks are sent by the owner of the alert's home's partition only
 * (issue 12 step 3, docs/CLUSTER.md "Step 3, service by service"): two
 * notifiers ("nodes") on one real PostgreSQL delivery log, each with its own
 * share of the partitions (OwnedPartitions, the real thing), and a real HTTP
 * gateway on 127.0.0.1. What a partition's move does: the new owner resumes
 * the old one's pending deliveries from the log (nothing lost, nothing sent
 * twice by it), and the old owner sends and records nothing more of them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../hub/alerts/alert.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { OwnedPartitions, type PartitionOwnership } from '../hub/core/partition-ownership.js';
import { partitionOfHome } from '../hub/core/partitions.js';
import { addressGuard } from '../hub/notify/address-guard.js';
import { NotifyService } from '../hub/notify/notify-service.js';
import type { DeliveryLine } from '../hub/notify/types.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgDeliveryLog } from '../hub/storage/postgres/delivery-log-pg.js';
import { PgWebhooks } from '../hub/storage/postgres/webhooks-pg.js';
import { useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { openSos } from './helpers/open-alert.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { WebhookGateway, type GatewayRequest } from './helpers/webhook-gateway.js';

const database = usePgDatabase();
const keep = useCleanup();

const HOME_A = 'home-a';
const HOME_B = 'home-b';
const A = partitionOfHome(HOME_A);
const B = partitionOfHome(HOME_B);

let clock: ManualClock;
/** The alert store every node replicates (what `recentAlerts` reads). */
let alerts: Alert[];
let gateway: WebhookGateway;

beforeEach(async () => {
  clock = new ManualClock();
  alerts = [];
  // The tables exist once a store has run the migrations (the first test); before that there is nothing to empty.
  await database.query('TRUNCATE delivery_log, webhooks').catch((err: { code?: string }) => {
    if (err.code !== '42P01') throw err;
  });
  gateway = keep(await WebhookGateway.start(), (g) => g.close());
});

interface Node {
  notify: NotifyService;
  bus: EventBus<HubEvents>;
  stop(): Promise<void>;
}

async function startNode(ownership?: PartitionOwnership): Promise<Node> {
  const db = new PgDatabase({ url: database.url, log: silentLogger() });
  const bus = new EventBus<HubEvents>(silentLogger());
  const notify = new NotifyService({
    webhooks: new PgWebhooks(db),
    deliveryLog: new PgDeliveryLog(db, () => clock.now(), silentLogger()),
    bus,
    registry: { getHome: () => undefined, getResident: () => undefined, listResidents: () => [] },
    audit: { record: () => Promise.resolve() },
    clock,
    timezone: 'UTC',
    addressGuard: addressGuard('127.0.0.1'),
    defaultSecret: undefined,
    log: silentLogger(),
    recentAlerts: () => alerts,
    ...(ownership ? { ownership } : {}),
  });
  await notify.start();
  let stopped = false;
  const node: Node = {
    notify,
    bus,
    async stop() {
      if (stopped) return;
      stopped = true;
      await notify.stop();
    },
  };
  return keep(node, (n) => n.stop());
}

/** The organisation's webhook, stored in the shared table (nodes started later load it). */
async function addWebhook(node: Node): Promise<void> {
  await node.notify.createWebhook({ name: 'SMS gateway', url: gateway.url, secret: 'org-gateway-secret-4f9c2a7e1b', severities: ['critical'], enabled: true }, 'admin');
}

function raise(id: string, homeId: string, ...nodes: Node[]): Alert {
  const alert = openSos(id, homeId, clock.now());
  alerts.push(alert);
  // Every node that hears of it (each applies every line); only the owner may act.
  for (const node of nodes) node.bus.emit('alert.raised', alert);
  return alert;
}

const forAlert = (alertId: string) => (r: GatewayRequest) => r.body?.alert?.id === alertId;
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function logRows(): Promise<{ partition: number | null; line: DeliveryLine }[]> {
  return (await database.query<{ partition: number | null; line: DeliveryLine }>('SELECT partition, line FROM delivery_log ORDER BY id')).rows;
}

const attemptsOf = (rows: { line: DeliveryLine }[], deliveryId: string) =>
  rows.flatMap((r) => (r.line.type === 'attempt' && r.line.attempt.deliveryId === deliveryId ? [r.line.attempt] : []));

/** A retry's whole window (1 h) in steps, so every backoff timer on the way fires. */
function runRetryWindow(): void {
  for (let i = 0; i < 13; i++) clock.advance(5 * 60_000);
}

describe('webhooks sent by the owner of the home', () => {
  it('the two homes fall in different partitions (what the tests below rely on)', () => {
    expect(A).not.toBe(B);
  });

  it('a node owning A sends the delivery of A’s alert and not B’s; the log rows carry their partition', async () => {
    const node = await startNode(new OwnedPartitions([A]));
    await addWebhook(node);
    const a = raise('alr-a', HOME_A, node);
    const b = raise('alr-b', HOME_B, node);
    await gateway.waitFor(1, forAlert(a.id));
    await settle();
    expect(gateway.requests.filter(forAlert(b.id))).toHaveLength(0);
    expect(gateway.requests).toHaveLength(1);
    expect(node.notify.deliveries({}).map((d) => d.alertId)).toEqual([a.id]);

    await node.notify.flushLog();
    const rows = await logRows();
    expect(rows.map((r) => [r.line.type, r.partition])).toEqual([
      ['queued', A],
      ['attempt', A],
    ]);
    expect(rows.some((r) => r.line.type === 'queued' && r.line.delivery.alertId === b.id)).toBe(false);
  });

  it('gaining B sends B’s pending delivery from the log exactly once, with the old owner’s attempts counted, and what the old owner never queued', async () => {
    const oneOwns = new OwnedPartitions([A]);
    const one = await startNode(oneOwns);
    await addWebhook(one);
    const two = await startNode(new OwnedPartitions([B]));
    // B's gateway fails at first: node two records attempt 1 as failed, with a retry due 5 s later.
    gateway.reply = (req) => (req.body?.alert?.id === 'alr-b' ? 500 : 200);
    const b = raise('alr-b', HOME_B, one, two);
    await gateway.waitFor(1, forAlert(b.id));
    await until(() => two.notify.deliveries({ alertId: b.id })[0]?.attempts.length === 1, 'node two’s failed attempt');
    await two.notify.flushLog();
    const deliveryId = two.notify.deliveries({ alertId: b.id })[0]!.deliveryId;
    expect(one.notify.deliveries({ alertId: b.id })).toEqual([]); // not its home: not even queued there
    // Node two dies; a second alert of B's home was journaled, but its delivery never queued (two died first).
    await two.stop();
    const b2 = raise('alr-b2', HOME_B);
    gateway.reply = () => 200;

    oneOwns.gain([B]);
    await until(() => one.notify.deliveries({ alertId: b.id }).length === 1, 'B’s delivery read back from the log');
    const resumed = one.notify.deliveries({ alertId: b.id })[0]!;
    expect(resumed).toMatchObject({ deliveryId, status: 'pending', attempts: [{ attempt: 1, outcome: 'failed', statusCode: 500 }] });
    // The catch-up of the gained homes: B2's notification, which nobody had queued, goes out at once.
    await gateway.waitFor(1, forAlert(b2.id));
    // B's retry is due 5 s after the failed attempt, as it was on node two.
    expect(gateway.requests.filter(forAlert(b.id))).toHaveLength(1);
    clock.advance(5_000);
    await gateway.waitFor(2, forAlert(b.id));
    runRetryWindow();
    await settle();

    const toB = gateway.requests.filter(forAlert(b.id));
    expect(toB.map((r) => [r.body.deliveryId, r.body.attempt])).toEqual([
      [deliveryId, 1],
      [deliveryId, 2],
    ]);
    expect(gateway.requests.filter(forAlert(b2.id))).toHaveLength(1);
    expect(gateway.requests).toHaveLength(3);
    await one.notify.flushLog();
    const rows = await logRows();
    expect(attemptsOf(rows, deliveryId).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'sent'],
    ]);
    // One delivery per alert in the log: the catch-up did not queue B's again.
    expect(rows.filter((r) => r.line.type === 'queued').map((r) => (r.line.type === 'queued' ? r.line.delivery.alertId : ''))).toEqual([b.id, b2.id]);
  });

  it('losing A stops A’s retries: the gateway hears nothing more of it, and nothing more is written', async () => {
    const oneOwns = new OwnedPartitions([A]);
    const one = await startNode(oneOwns);
    await addWebhook(one);
    gateway.reply = () => 500;
    const a = raise('alr-a', HOME_A, one);
    await gateway.waitFor(1, forAlert(a.id));
    await until(() => one.notify.deliveries({ alertId: a.id })[0]?.attempts.length === 1, 'the failed attempt');
    // Still owned, it is retried (the proof the gateway would hear of it again).
    clock.advance(5_000);
    await gateway.waitFor(2, forAlert(a.id));
    await until(() => one.notify.deliveries({ alertId: a.id })[0]?.attempts.length === 2, 'the second failed attempt');

    oneOwns.lose([A]);
    expect(one.notify.deliveries({})).toEqual([]);
    expect(one.notify.stats.pending).toBe(0);
    runRetryWindow();
    await settle();
    expect(gateway.requests.filter(forAlert(a.id))).toHaveLength(2);
    // Events of A's home arriving after the loss are not queued here either.
    raise('alr-a2', HOME_A, one);
    await settle();
    expect(gateway.requests).toHaveLength(2);
    await one.notify.flushLog();
    const rows = await logRows();
    expect(rows.map((r) => r.line.type)).toEqual(['queued', 'attempt', 'attempt']);
  });

  it('a request in flight when A is lost is cut short and not recorded; the next owner makes that attempt again under the same delivery id and records it once', async () => {
    const oneOwns = new OwnedPartitions([A]);
    const one = await startNode(oneOwns);
    await addWebhook(one);
    const twoOwns = new OwnedPartitions();
    const two = await startNode(twoOwns);
    gateway.reply = () => 'hang';
    const a = raise('alr-a', HOME_A, one, two);
    const [first] = await gateway.waitFor(1, forAlert(a.id));
    expect(one.notify.stats.inFlight).toBe(1);

    oneOwns.lose([A]);
    await until(() => one.notify.stats.inFlight === 0, 'the request in flight cut short');
    await one.notify.flushLog();
    expect((await logRows()).map((r) => r.line.type)).toEqual(['queued']);

    gateway.reply = () => 200;
    twoOwns.gain([A]);
    await gateway.waitFor(2, forAlert(a.id));
    await settle();
    const toA = gateway.requests.filter(forAlert(a.id));
    // At least once: the receiver may have had the first; it deduplicates on the delivery id (X-Hub-Delivery, deliveryId).
    expect(toA.map((r) => [r.body.deliveryId, r.body.attempt])).toEqual([
      [first!.body.deliveryId, 1],
      [first!.body.deliveryId, 1],
    ]);
    expect(toA[1]!.headers['x-hub-delivery']).toBe(first!.body.deliveryId);
    await two.notify.flushLog();
    await one.notify.flushLog();
    const rows = await logRows();
    expect(attemptsOf(rows, first!.body.deliveryId).map((x) => [x.attempt, x.outcome])).toEqual([[1, 'sent']]);
    expect(rows.filter((r) => r.line.type === 'queued')).toHaveLength(1);
  });

  it('reading a partition back returns its rows and the old ones without a partition, not the other partitions’', async () => {
    const node = await startNode(new OwnedPartitions([A, B]));
    await addWebhook(node);
    raise('alr-a', HOME_A, node);
    raise('alr-b', HOME_B, node);
    await gateway.waitFor(2);
    await node.notify.flushLog();
    // A row as written before migration 0008: no partition.
    await database.query(`INSERT INTO delivery_log (at, line) VALUES (now(), '{"type":"dropped","deliveryId":"dlv-old","at":0,"reason":"x"}')`);
    const reader = new PgDeliveryLog(new PgDatabase({ url: database.url, log: silentLogger() }), () => clock.now(), silentLogger());
    keep(reader, (r) => r.close());
    const lines = await reader.loadPartitions([A]);
    expect(lines.map((l) => [l.type, l.partition ?? null])).toEqual([
      ['queued', A],
      ['attempt', A],
      ['dropped', null],
    ]);
  });

  it('an owner started before a webhook was added through another node sends to it once it reloads the webhooks', async () => {
    const one = await startNode(new OwnedPartitions([A]));
    const two = await startNode(new OwnedPartitions([B]));
    await addWebhook(one);
    raise('alr-b', HOME_B, one, two);
    await settle();
    expect(gateway.requests).toHaveLength(0); // two's list, read at its start, has no webhook
    await two.notify.reloadWebhooks();
    raise('alr-b2', HOME_B, one, two);
    await gateway.waitFor(1, forAlert('alr-b2'));
  });

  it('a hub alone (OWNS_EVERYTHING, the default) sends every home’s', async () => {
    const node = await startNode();
    await addWebhook(node);
    raise('alr-a', HOME_A, node);
    raise('alr-b', HOME_B, node);
    await gateway.waitFor(2);
    await settle();
    expect(gateway.requests.map((r) => r.body.alert.id).sort()).toEqual(['alr-a', 'alr-b']);
  });
});
