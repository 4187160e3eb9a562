/**
 * The alert timers act only for the homes this node owns (issue 12 step 3,
 * docs/CLUSTER.md "Step 3, the wiring still to do"): escalation, follow-up
 * and call-backs arm and write for owned homes only, rebuild a gained
 * partition's work from the journal times as a start does (a deadline passed
 * while nobody owned the home is met at once, once), and drop a lost
 * partition's timers without writing. Real AlertStore, CallbackStore and
 * services over a journal that records what it is asked to append; a manual
 * clock; OwnedPartitions as the node's changing share.
 */
import { describe, expect, it } from 'vitest';
import type { Alert, Responder } from '../hub/alerts/alert.js';
import { newAlert } from '../hub/alerts/alert-intake.js';
import { AlertStore, type JournalWriter } from '../hub/alerts/alert-store.js';
import { Escalation } from '../hub/alerts/escalation.js';
import { FollowUp } from '../hub/alerts/follow-up.js';
import { CallbackService } from '../hub/callbacks/callback-service.js';
import { CallbackStore } from '../hub/callbacks/callback-store.js';
import { DEFAULT_FOLLOW_UP_TIMES } from '../hub/config/follow-up-times.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { OwnedPartitions, type PartitionOwnership } from '../hub/core/partition-ownership.js';
import { partitionOfHome } from '../hub/core/partitions.js';
import type { HomeRecord } from '../hub/registry/records.js';
import { ManualClock } from './helpers/manual-clock.js';

const SEC = 1_000;
const MIN = 60 * SEC;
const T0 = Date.UTC(2026, 10, 24, 2, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
/** Two homes in different partitions: this node owns A's, another node B's (until it moves). */
const HOME_A = 'home-a';
const HOME_B = 'home-b';
const A = partitionOfHome(HOME_A);
const B = partitionOfHome(HOME_B);
/** The bus hears a change once its line is durable: a few microtasks after the append. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

interface Line {
  type: string;
  data: Record<string, unknown>;
  homeId: string | undefined;
}

/** The node's memory as every node has it: stores fed by this node's lines and replayed ones. */
function node(clock: ManualClock) {
  const lines: Line[] = [];
  let n = 0;
  const journal: JournalWriter = {
    append: (type, data, homeId) => {
      lines.push({ type, data: data as Record<string, unknown>, homeId });
      return { entry: { n: ++n, at: iso(clock.now()) }, durable: Promise.resolve() };
    },
  };
  const bus = new EventBus<HubEvents>(silentLogger());
  const audit = { noteJournaled: () => undefined };
  const alerts = new AlertStore(journal, bus, audit, silentLogger());
  const callbackStore = new CallbackStore(journal, audit, silentLogger());
  /** A line another node wrote, applied here from the journal (it never reaches this node's bus). */
  const replay = (type: string, data: unknown, at = clock.now()) => alerts.replay({ n: ++n, at: iso(at), type, data, prev: '' });
  /** An alert raised by its home's owner, `raisedAt` at `at`. */
  const raisedBy = (homeId: string, at = clock.now(), kind = 'sos'): Alert => {
    const alert = newAlert({ kind, severity: 'critical', title: kind, homeId, deviceId: `brc-${homeId}` }, undefined, { deviceId: `brc-${homeId}`, eventType: kind, at: iso(at) });
    replay('alert.raised', { alert }, at);
    return alert;
  };
  /** How many lines of this type this node wrote for the alert. */
  const wrote = (type: string, alertId: string) => lines.filter((l) => l.type === type && (l.data.alertId === alertId || (l.data.callback as { alertId?: string } | undefined)?.alertId === alertId)).length;
  return { lines, bus, alerts, callbackStore, replay, raisedBy, wrote };
}

/** A node keeping SLA time with this share of the homes. */
function escalating<O extends PartitionOwnership>(owned: O) {
  const clock = new ManualClock(T0);
  const n = node(clock);
  return { ...n, clock, owned, escalation: new Escalation(n.alerts, n.bus, clock, owned) };
}

describe('escalation acts only for owned homes', () => {
  it("escalates an alert of its own partition at 60 s and 180 s, and writes nothing for another node's home", () => {
    expect(A).not.toBe(B);
    const { clock, alerts, raisedBy, wrote, lines, escalation } = escalating(new OwnedPartitions([A]));
    const before = { a: raisedBy(HOME_A), b: raisedBy(HOME_B) };
    escalation.start();

    clock.advance(60 * SEC);
    expect(wrote('alert.overdue', before.a.id)).toBe(1);
    clock.advance(120 * SEC);
    expect(wrote('alert.escalated', before.a.id)).toBe(1);
    clock.advance(10 * MIN);
    expect(lines.filter((l) => l.homeId === HOME_B)).toEqual([]);
    expect(alerts.get(before.b.id)!.flags).toEqual({ overdue: false, escalated: false });
    escalation.stop();
  });

  it('arms a live raise only for an owned home', async () => {
    const { clock, alerts, wrote, escalation } = escalating(new OwnedPartitions([A]));
    escalation.start();
    const raise = (homeId: string) => alerts.record('alert.raised', { alert: newAlert({ kind: 'sos', severity: 'critical', title: 'SOS', homeId, deviceId: 'brc-1' }, undefined, { deviceId: 'brc-1', eventType: 'sos', at: iso(clock.now()) }) }).alert;
    const a = raise(HOME_A);
    const b = raise(HOME_B); // a line this node should not have written: its bus handler still must not act on it
    await settle();
    clock.advance(180 * SEC);
    expect([wrote('alert.overdue', a.id), wrote('alert.escalated', a.id)]).toEqual([1, 1]);
    expect([wrote('alert.overdue', b.id), wrote('alert.escalated', b.id)]).toEqual([0, 0]);
    escalation.stop();
  });

  it('a partition gained rebuilds its timers from raisedAt: an alert 200 s old is overdue and escalated at once, each once', () => {
    const { clock, alerts, raisedBy, wrote, owned, escalation } = escalating(new OwnedPartitions([A]));
    escalation.start();
    const b = raisedBy(HOME_B);
    clock.advance(200 * SEC);
    expect(wrote('alert.overdue', b.id)).toBe(0);

    owned.gain([B]);
    clock.advance(0);
    expect([wrote('alert.overdue', b.id), wrote('alert.escalated', b.id)]).toEqual([1, 1]);
    expect(alerts.get(b.id)!.flags).toEqual({ overdue: true, escalated: true });
    clock.advance(10 * MIN);
    owned.gain([B]); // already ours: nobody is told, nothing re-armed
    clock.advance(10 * MIN);
    expect([wrote('alert.overdue', b.id), wrote('alert.escalated', b.id)]).toEqual([1, 1]);
    escalation.stop();
  });

  it('a partition gained with a young alert arms the remaining time, not a fresh 60 s', () => {
    const { clock, raisedBy, wrote, owned, escalation } = escalating(new OwnedPartitions());
    escalation.start();
    const b = raisedBy(HOME_B);
    clock.advance(45 * SEC);
    owned.gain([B]);
    clock.advance(15 * SEC - 1);
    expect(wrote('alert.overdue', b.id)).toBe(0);
    clock.advance(1);
    expect(wrote('alert.overdue', b.id)).toBe(1);
    escalation.stop();
  });

  it('a partition lost has its timers cancelled: nothing is written after the loss, even when the due times pass; regained, they are rebuilt', () => {
    const { clock, raisedBy, wrote, lines, owned, escalation } = escalating(new OwnedPartitions([A]));
    const a = raisedBy(HOME_A);
    escalation.start();
    clock.advance(30 * SEC);
    expect(clock.pending).toBe(1);

    owned.lose([A]);
    expect(clock.pending).toBe(0);
    clock.advance(10 * MIN);
    expect(lines).toEqual([]);

    owned.gain([A]);
    clock.advance(0);
    expect([wrote('alert.overdue', a.id), wrote('alert.escalated', a.id)]).toEqual([1, 1]);
    escalation.stop();
  });

  it('a timer firing for a home whose lease ran out untold writes nothing', () => {
    // A share that changes without telling its listeners (a lease expired before the balancer's round).
    let ours = true;
    const silent: PartitionOwnership = { owns: () => ours, ownsPartition: () => ours, onGained: () => () => undefined, onLost: () => () => undefined };
    const { clock, raisedBy, lines, escalation } = escalating(silent);
    raisedBy(HOME_A);
    escalation.start();
    ours = false;
    clock.advance(10 * MIN);
    expect(lines).toEqual([]);
    escalation.stop();
  });

  it('stopped, it no longer hears the ownership', () => {
    const { clock, raisedBy, lines, owned, escalation } = escalating(new OwnedPartitions());
    raisedBy(HOME_A);
    escalation.start();
    expect(clock.pending).toBe(0);
    escalation.stop();
    owned.gain([A]);
    clock.advance(10 * MIN);
    expect(clock.pending).toBe(0);
    expect(lines).toEqual([]);
  });

  it('without an ownership (a hub alone) it escalates every home, as before', () => {
    const clock = new ManualClock(T0);
    const { alerts, bus, raisedBy, wrote } = node(clock);
    const a = raisedBy(HOME_A);
    const b = raisedBy(HOME_B);
    const escalation = new Escalation(alerts, bus, clock);
    escalation.start();
    clock.advance(180 * SEC);
    expect([a, b].map((x) => wrote('alert.overdue', x.id) + wrote('alert.escalated', x.id))).toEqual([2, 2]);
    escalation.stop();
  });
});

describe('follow-up acts only for owned homes', () => {
  const critical = DEFAULT_FOLLOW_UP_TIMES.followUp.critical! * MIN; // 10 min
  const onScene = DEFAULT_FOLLOW_UP_TIMES.onScene.critical! * MIN; // 30 min

  it('stalls only the owned home’s held alert; a lost partition stalls no more; a gained one catches up at once, once', () => {
    const clock = new ManualClock(T0);
    const { alerts, bus, raisedBy, replay, lines } = node(clock);
    const owned = new OwnedPartitions([A]);
    const followUp = new FollowUp(alerts, bus, clock, DEFAULT_FOLLOW_UP_TIMES, owned);
    const a = raisedBy(HOME_A);
    const b = raisedBy(HOME_B);
    for (const alert of [a, b]) replay('alert.acknowledged', { alertId: alert.id, actor: 'user:li.na' });
    followUp.start();
    const stages = (alert: Alert) => lines.filter((l) => l.type === 'alert.stalled' && l.data.alertId === alert.id).map((l) => l.data.stage);

    clock.advance(critical);
    expect(stages(a)).toEqual(['holder']);
    expect(stages(b)).toEqual([]);

    clock.advance(5 * MIN);
    owned.lose([A]);
    clock.advance(10 * MIN); // A's supervisor stage was due at 20 min
    expect(stages(a)).toEqual(['holder']);

    owned.gain([B]); // 25 min held: both of B's stages are past
    clock.advance(0);
    expect(stages(b)).toEqual(['holder', 'supervisor']);
    clock.advance(60 * MIN);
    expect(stages(b)).toEqual(['holder', 'supervisor']);
    expect(stages(a)).toEqual(['holder']);
    followUp.stop();
  });

  it('flags a late responder only while it owns the home, and arms a gained home’s responders from their addedAt', () => {
    const clock = new ManualClock(T0);
    const { alerts, bus, raisedBy, replay, wrote } = node(clock);
    const owned = new OwnedPartitions([A]);
    const followUp = new FollowUp(alerts, bus, clock, DEFAULT_FOLLOW_UP_TIMES, owned);
    const responder = (id: string): Responder => ({ id, kind: 'family', name: 'Li Ming', state: 'notified', addedAt: iso(T0), addedBy: 'user:li.na', updatedAt: iso(T0) });
    const a = raisedBy(HOME_A);
    const b = raisedBy(HOME_B);
    for (const alert of [a, b]) {
      replay('alert.acknowledged', { alertId: alert.id, actor: 'user:li.na' });
      replay('alert.dispatched', { alertId: alert.id, actor: 'user:li.na', responders: [responder(`r-${alert.homeId}`)] });
    }
    followUp.start();
    clock.advance(onScene - 5 * MIN);
    owned.lose([A]);
    owned.gain([B]);
    clock.advance(5 * MIN - 1);
    expect([wrote('alert.responder_late', a.id), wrote('alert.responder_late', b.id)]).toEqual([0, 0]);
    clock.advance(1); // 30 min after the dispatch
    expect([wrote('alert.responder_late', a.id), wrote('alert.responder_late', b.id)]).toEqual([0, 1]);
    followUp.stop();
  });
});

describe('call-backs are written only for owned homes', () => {
  function callbackService(n: ReturnType<typeof node>, clock: ManualClock, ownership: PartitionOwnership) {
    const homes = { getHome: (id: string) => ({ id, residentId: `res-${id}` }) as HomeRecord };
    const intake = { raiseByPerson: () => Promise.reject(new Error('not in these tests')) };
    return new CallbackService({ store: n.callbackStore, alerts: n.alerts, bus: n.bus, homes, intake, now: () => clock.now(), timezone: 'Asia/Shanghai', log: silentLogger(), ownership });
  }

  /** An alert resolved "resident OK" by its owner: it owes a call-back the next day. */
  function residentOk(n: ReturnType<typeof node>, homeId: string): Alert {
    const alert = n.raisedBy(homeId);
    n.replay('alert.acknowledged', { alertId: alert.id, actor: 'user:li.na' });
    n.replay('alert.resolved', { alertId: alert.id, actor: 'user:li.na', outcome: 'resident_ok' });
    return n.alerts.get(alert.id)!;
  }

  it('catches up at start and on a gain for the owned homes only, once each; a transition of an un-owned home writes none', async () => {
    const clock = new ManualClock(T0);
    const n = node(clock);
    const owned = new OwnedPartitions([A]);
    const service = callbackService(n, clock, owned);
    const a = residentOk(n, HOME_A);
    const b = residentOk(n, HOME_B);
    clock.advance(5 * MIN);
    service.start();
    expect([n.wrote('callback.scheduled', a.id), n.wrote('callback.scheduled', b.id)]).toEqual([1, 0]);

    // The bus tells of a transition of B's alert (as a console write on this node would): not ours to answer.
    const later = residentOk(n, HOME_B);
    n.bus.emit('alert.transition', { alert: later, change: 'resolved', actor: 'user:li.na' });
    await settle();
    expect(n.lines.filter((l) => l.homeId === HOME_B)).toEqual([]);

    owned.gain([B]);
    await settle();
    expect([n.wrote('callback.scheduled', b.id), n.wrote('callback.scheduled', later.id)]).toEqual([1, 1]);
    expect(n.callbackStore.forAlert(b.id)).toMatchObject({ reason: 'resident_ok', homeId: HOME_B, dueAt: iso(T0 + 24 * 60 * MIN) });

    // Lost and gained again: the call-backs are already in the journal, so none is added.
    owned.lose([B]);
    owned.gain([B]);
    n.bus.emit('alert.transition', { alert: a, change: 'note_added', actor: 'user:li.na' });
    await settle();
    expect(n.lines.filter((l) => l.type === 'callback.scheduled')).toHaveLength(3);
    service.stop();
  });

  it('stopped, it no longer hears the ownership', async () => {
    const clock = new ManualClock(T0);
    const n = node(clock);
    const owned = new OwnedPartitions();
    const service = callbackService(n, clock, owned);
    residentOk(n, HOME_B);
    service.start();
    service.stop();
    owned.gain([B]);
    await settle();
    expect(n.lines).toEqual([]);
  });
});
