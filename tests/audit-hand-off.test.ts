/**
 * A standby's broker refusals on their way to the leader's journal (issue 12,
 * DESIGN.md §11; docs/CLUSTER.md "A standby's broker refusals"): the
 * AuditHandOff stores each record as an `inbound_alarm` row the leader's
 * drain reads back, never waits, and keeps a bounded number while the
 * database cannot be reached, logging what it drops. Real PostgreSQL (a fresh
 * database), a TCP proxy to cut it; the whole path through real processes is
 * tests/cluster-standby-refusals.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AuditHandOff } from '../hub/cluster/audit-hand-off.js';
import { decodeForwardedAudit, isForwardedAudit, isNodeRow } from '../hub/cluster/forwarded-audit.js';
import { createLogger, silentLogger } from '../hub/core/logger.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgInboundAlarms } from '../hub/storage/postgres/inbound-alarms-pg.js';
import { useCleanup } from './helpers/cleanup.js';
import { logSink } from './helpers/log-sink.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { waitFor } from './helpers/wait-for.js';

const pg = usePgDatabase();
const keep = useCleanup();
const log = silentLogger();
const NODE = 'au_node_b';

async function freshStore(url = pg.url): Promise<PgInboundAlarms> {
  const store = keep(new PgInboundAlarms(new PgDatabase({ url, log }), { min: 20, max: 200 }), (s) => s.close());
  await store.oldest(1); // opens and migrates
  await pg.query('DELETE FROM inbound_alarm');
  return store;
}

const auditRows = async () =>
  (await pg.query<{ device_id: string; payload: Buffer; received_by: string; ms: string }>(
    `SELECT device_id, payload, received_by, round(extract(epoch FROM received_at) * 1000)::bigint::text AS ms FROM inbound_alarm WHERE device_id LIKE 'hub.audit.%' ORDER BY id`,
  )).rows;

const refusal = (i: number) => ({ action: 'mqtt.connect_refused', actor: `ip:10.0.${Math.floor(i / 256)}.${i % 256}`, detail: { reason: 'unknown device', ip: 'x', username: `au_dev_${i}`, returnCode: 4, suppressedSinceLast: 0 } });

describe('a standby handing its broker refusals to the leader', () => {
  it('stores each record as an inbound_alarm row, with the node and the original time, that the leader reads back as the same record plus seenBy and seenAt', async () => {
    const store = await freshStore();
    const handOff = new AuditHandOff({ store, nodeId: NODE, log });
    const at = Date.parse('2026-12-06T10:00:00.123Z');
    handOff.hand(refusal(1), at);
    await waitFor(() => handOff.stats.stored === 1, 'the record to be stored');
    const [row] = await auditRows();
    expect(row).toMatchObject({ device_id: `hub.audit.${NODE}`, received_by: NODE, ms: String(at) });
    expect(isForwardedAudit(row!.device_id) && isNodeRow(row!.device_id)).toBe(true);
    expect(isNodeRow('brc-00000001')).toBe(false); // a device's alarm still counts as one

    const entry = decodeForwardedAudit(row!.payload, { receivedBy: row!.received_by, receivedAt: Number(row!.ms) });
    expect(entry).toEqual({ ...refusal(1), target: undefined, detail: { ...refusal(1).detail, seenBy: NODE, seenAt: '2026-12-06T10:00:00.123Z' } });
  });

  it('refuses to decode what is not a record: the leader logs and lets such a row go', () => {
    const origin = { receivedBy: NODE, receivedAt: 0 };
    for (const bad of ['not json', '[]', '{"action":1,"actor":"ip:x"}', '{"action":"a","actor":"b","detail":[1]}', '{"action":"a","actor":"b","target":5}']) {
      expect(decodeForwardedAudit(Buffer.from(bad), origin), bad).toBeUndefined();
    }
  });

  it('while PostgreSQL is cut off keeps at most 1,000 records, drops and logs the rest, never blocks the caller, and stores the kept ones once it is back', async () => {
    const proxy = keep(await startTcpProxy(5432), (p) => p.close());
    const viaProxy = new URL(pg.url);
    viaProxy.port = String(proxy.port);
    const store = await freshStore(viaProxy.toString());
    const sink = logSink();
    const handOff = new AuditHandOff({ store, nodeId: NODE, log: createLogger('info', sink.stream), retryDelayMs: { min: 50, max: 200 } });
    keep(handOff, (h) => h.stop());
    await proxy.cut();

    const started = performance.now();
    for (let i = 0; i < 1_500; i++) handOff.hand(refusal(i), Date.now());
    const handMs = performance.now() - started;
    // The broker's refusal never waits for the database: 1,500 hand-offs are a few milliseconds of CPU.
    expect(handMs).toBeLessThan(500);
    expect(handOff.pending).toBe(1_000);
    expect(handOff.stats.dropped).toBe(500);
    await waitFor(() => sink.lines.some((l) => /not stored for the leader/.test(l.msg)), 'the failed round to be logged');
    const dropLines = sink.lines.filter((l) => /audit records dropped on this standby/.test(l.msg));
    // One line for the first drop (then one per 10 s at most), with the bound in it.
    expect(dropLines).toHaveLength(1);
    expect(dropLines[0]).toMatchObject({ maxPending: 1_000, lastAction: 'mqtt.connect_refused' });

    await proxy.restore();
    await waitFor(() => handOff.stats.stored === 1_000, 'the kept records to be stored', 30_000);
    expect(handOff.pending).toBe(0);
    const rows = await auditRows();
    expect(rows).toHaveLength(1_000);
    // The oldest were kept (the start of an attack), in the order they came.
    const usernames = rows.map((r) => (JSON.parse(r.payload.toString()) as { detail: { username: string } }).detail.username);
    expect(usernames[0]).toBe('au_dev_0');
    expect(usernames[999]).toBe('au_dev_999');
    // Once the queue is empty again, the drops not yet logged are summed up in one more line.
    const summed = sink.lines.filter((l) => /audit records dropped on this standby/.test(l.msg)).reduce((n, l) => n + Number(l.dropped), 0);
    expect(summed).toBe(500);
  });

  it('drops a record too large to hand on, and logs it', async () => {
    const store = await freshStore();
    const sink = logSink();
    const handOff = new AuditHandOff({ store, nodeId: NODE, log: createLogger('info', sink.stream) });
    handOff.hand({ action: 'mqtt.connect_refused', actor: 'ip:x', detail: { username: 'u'.repeat(5_000) } }, Date.now());
    expect(handOff.stats).toEqual({ stored: 0, dropped: 1 });
    expect(sink.lines.find((l) => /dropped on this standby/.test(l.msg))).toMatchObject({ why: expect.stringMatching(/over 4096/) });
    handOff.stop();
  });
});
