/**
 * `npm run bench -- --takeover [--journal-lines N]`: what a cluster
 * standby's promotion costs as the journal grows (issue 12 item 3,
 * "partitions taken over within 15 s"; docs/CLUSTER.md "Read replicas").
 *
 * A leader writes N journal lines of alert lifecycles (raised, acknowledged,
 * dispatched, resolved, plus an audit line, as the hub's own AlertStore and
 * AuditLog write them) into a fresh PostgreSQL database. Then, for the same
 * journal:
 * - **cold**: a node that did not follow opens it once the lock is free: the
 *   whole journal replayed into its stores, which is what every promotion did
 *   before standbys followed the journal;
 * - **following**: a standby that has followed the journal (its tail applied
 *   every line while it waited) takes over when the leader closes: the time
 *   from the leader's end to the standby's open() resolving, and the replay
 *   after the lock alone.
 * Prints both and writes bench/results/<date>-takeover.json.
 */
import { loadavg } from 'node:os';
import type { Alert } from '../hub/alerts/alert.js';
import { newAlert } from '../hub/alerts/alert-intake.js';
import { AlertStore } from '../hub/alerts/alert-store.js';
import { AuditLog } from '../hub/audit/audit-log.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { AlertFeed } from '../hub/realtime/alert-feed.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { createPgDatabase } from '../tests/helpers/pg-server.js';
import type { BenchOptions } from './args.js';
import { writeResults } from './cluster-session.js';

/** One node's alert side: what the journal replays into (the alert store, its feed, the audit log). */
function alertSide(journal: PgJournal): { store: AlertStore; audit: AuditLog; replay: (entry: Parameters<AlertStore['replay']>[0]) => void } {
  const log = silentLogger();
  const audit = new AuditLog(journal, log);
  const feed = new AlertFeed({ now: Date.now, chainId: () => journal.chainId });
  const store = new AlertStore(journal, new EventBus<HubEvents>(log), audit, log, feed);
  return { store, audit, replay: (entry) => (audit.replay(entry), store.replay(entry)) };
}

/** An SOS as the hub's intake makes it (hub/alerts/alert-intake.ts newAlert). */
function sosAlert(i: number, at: string): Alert {
  const homeId = `home-${(i % 1000).toString().padStart(4, '0')}`;
  const deviceId = `brc-${(i % 4000).toString(16).padStart(8, '0')}`;
  const draft = { kind: 'sos', severity: 'critical' as const, title: 'SOS button pressed', homeId, deviceId, details: { battery: 80 } };
  return newAlert(draft, `res-${homeId}`, { deviceId, eventType: 'sos', at, seq: i, ts: Date.parse(at) });
}

/** Five lines per alert, as an operator's handling of an SOS writes them. */
async function writeLifecycles(journal: PgJournal, lines: number, say: (line: string) => void): Promise<void> {
  const { store, audit } = alertSide(journal);
  let pending: Promise<unknown>[] = [];
  for (let i = 0; journal.lastN < lines; i++) {
    const at = new Date().toISOString();
    const { alert } = store.record('alert.raised', { alert: sosAlert(i, at) });
    store.record('alert.acknowledged', { alertId: alert.id, actor: 'operator1' });
    store.record('alert.dispatched', { alertId: alert.id, actor: 'operator1', responders: [{ id: `rsp-${i}`, kind: 'family', name: 'Daughter', state: 'notified', addedAt: at, addedBy: 'operator1', updatedAt: at }] });
    store.record('alert.resolved', { alertId: alert.id, actor: 'operator1', outcome: 'resident_ok', note: 'called back, all well' });
    pending.push(audit.record('alert.viewed', 'supervisor1', alert.id));
    if (pending.length >= 2_000) {
      await Promise.all(pending);
      await journal.whenDurable();
      pending = [];
      say(`takeover: writing the journal ${journal.lastN}/${lines}`);
    }
  }
  await Promise.all(pending);
  await journal.whenDurable();
}

export interface TakeoverResult {
  journalLines: number;
  coldOpenMs: number;
  followingTakeoverMs: number;
  replayAfterLockMs: number;
  linesAfterLock: number;
}

export async function runTakeoverBench(options: Pick<BenchOptions, 'journalLines' | 'outDir'>, say: (line: string) => void, done: () => void): Promise<number> {
  const database = await createPgDatabase('hub_bench_takeover');
  const journalAt = (cluster: boolean) => new PgJournal({ db: new PgDatabase({ url: database.url }), waitForLeadership: cluster, lockWaitMs: 60_000 });
  try {
    const leader = journalAt(true);
    await leader.open();
    await writeLifecycles(leader, options.journalLines, say);
    const journalLines = leader.lastN;

    // Following: the standby applies everything while the leader still holds the lock.
    const standby = journalAt(true);
    const standbyOpening = standby.open(alertSide(standby).replay);
    while (standby.lastN < journalLines) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      say(`takeover: the standby follows ${standby.lastN}/${journalLines}`);
    }
    const leaderEnds = performance.now();
    await leader.close();
    await standbyOpening;
    const followingTakeoverMs = performance.now() - leaderEnds;
    const tail = standby.standbyTail!;
    await standby.close();

    // Cold: what every promotion did before, the whole journal replayed after the lock.
    const cold = journalAt(false);
    const coldStarts = performance.now();
    await cold.open(alertSide(cold).replay);
    const coldOpenMs = performance.now() - coldStarts;
    await cold.close();

    const result: TakeoverResult = {
      journalLines,
      coldOpenMs: Math.round(coldOpenMs),
      followingTakeoverMs: Math.round(followingTakeoverMs),
      replayAfterLockMs: Math.round(tail.replayAfterLockMs ?? 0),
      linesAfterLock: tail.linesAfterLock ?? 0,
    };
    done();
    console.log(`journal of ${journalLines} lines (alert lifecycles), load average ${loadavg()[0]!.toFixed(2)}:`);
    console.log(`  a node that did not follow the journal: open (the whole replay) ${result.coldOpenMs} ms`);
    console.log(`  a standby that followed it: the leader's end → leading ${result.followingTakeoverMs} ms (replay after the lock ${result.replayAfterLockMs} ms, ${result.linesAfterLock} lines)`);
    await writeResults(options.outDir, 'takeover', { kind: 'takeover', loadAverage: loadavg(), ...result });
    return 0;
  } finally {
    await database.drop();
  }
}
