/**
 * A node whose lease on a home's partition ran out a moment ago, before its
 * services heard (a process frozen past its lease, a late expiry timer):
 * the services still believe they own the home (OwnedPartitions), while the
 * journal's fence already refuses the home's lines at append (PgJournal with
 * `homeLeases`, the real thing on this machine's PostgreSQL). An alarm that
 * reaches the rules then must not be acknowledged with nothing written, and
 * a wake-up must not stop the process: the device sends the alarm again
 * (to the home's owner by then), and the new owner re-arms the wake-up.
 *
 * Found from a cluster test that failed once (cluster-spread, the owner
 * frozen with SIGSTOP): the refusal was thrown inside a bus listener, which
 * logs and goes on, so the SOS was PUBACKed and no line was ever written.
 */
import { describe, expect, it } from 'vitest';
import { AlertIntake } from '../hub/alerts/alert-intake.js';
import { AlertStore } from '../hub/alerts/alert-store.js';
import { HomeTimers } from '../hub/alerts/home-timers.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { DeviceSignal, HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { NotOwnedHereError, OwnedPartitions } from '../hub/core/partition-ownership.js';
import { partitionOfHome } from '../hub/core/partitions.js';
import type { DeviceRecord } from '../hub/registry/records.js';
import { doorLeftOpenRule } from '../hub/rules/catalog/door-left-open.js';
import { sosRule } from '../hub/rules/catalog/sos.js';
import { RulesEngine } from '../hub/rules/engine.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { HeldPartitions } from '../hub/storage/postgres/partition-leases.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connectDevice, waitForClose } from './helpers/mqtt-device.js';
import { usePgPerTest } from './helpers/pg-per-test.js';
import { startTestHub } from './helpers/test-hub.js';
import { home, MIN, resident } from './rules/rule-harness.js';

const fresh = usePgPerTest('hub_test_lapsed_lease');
const keep = useCleanup();

const HOME = 'home-lapsed';
const device = (id: string, kind: string): DeviceRecord => ({ id, homeId: HOME, kind, serial: id, secretHash: 'sha256:00', createdAt: '2026-11-24T00:00:00.000Z' });
const BRACELET = device('brc-lapsed', 'bracelet');
const DOOR = device('dor-lapsed', 'door_sensor');

/** The rules, the alerts and a journal fenced by leases that hold nothing now, while the services believe they own HOME. */
async function nodeWithLapsedLease() {
  const log = silentLogger();
  const clock = new ManualClock();
  const journal = new PgJournal({
    db: new PgDatabase({ url: fresh.url }),
    // The balancer's view once the lease's local expiry has passed: HOME's partition is not in it.
    homeLeases: () => new HeldPartitions('node-a', new Map()),
    retryDelayMs: { min: 10, max: 100 },
    closeTimeoutMs: 2_000,
    tailPollMs: 60_000,
  });
  fresh.later(() => journal.close());
  await journal.open(() => undefined);
  const bus = new EventBus<HubEvents>(log);
  const store = new AlertStore(journal, bus, { noteJournaled: () => undefined }, log);
  const homeRecord = home({ id: HOME, residentId: 'res-lapsed' });
  const registry = {
    getHome: (id: string) => (id === HOME ? homeRecord : undefined),
    getResident: (id: string) => (id === 'res-lapsed' ? resident({ id, homeId: HOME }) : undefined),
    getDevice: (id: string) => [BRACELET, DOOR].find((d) => d.id === id),
    residentIds: (homeId: string) => (homeId === HOME ? ['res-lapsed'] : []),
  };
  const intake = new AlertIntake({ store, journal, bus, homes: registry, log });
  // Not yet told of the loss: the expiry timer has not run.
  const ownership = new OwnedPartitions([partitionOfHome(HOME)]);
  const engine = new RulesEngine({ rules: [sosRule, doorLeftOpenRule], bus, registry, alerts: intake, clock, timezone: 'UTC', log, ownership });
  engine.start();
  fresh.later(() => engine.stop());
  const event = (d: DeviceRecord, type: string): DeviceSignal => {
    const signal: DeviceSignal = { channel: 'event', deviceId: d.id, deviceKind: d.kind, homeId: HOME, receivedAt: clock.now(), type, payload: { type, seq: 1 }, alarm: type === 'sos', writes: [] };
    bus.emit('device.signal', signal);
    return signal;
  };
  const lines = async () => Number((await fresh.admin.query<{ c: string }>('SELECT count(*) AS c FROM journal')).rows[0]!.c);
  return { clock, journal, store, engine, event, lines };
}

describe('a lease that ran out before the services heard', () => {
  it("an SOS for the home: the refused line is the signal's rejected write (no PUBACK), nothing is recorded, the journal stays healthy", async () => {
    const { journal, store, engine, event, lines } = await nodeWithLapsedLease();
    const signal = event(BRACELET, 'sos');
    expect(signal.writes).toHaveLength(1);
    await expect(signal.writes![0]).rejects.toThrow(NotOwnedHereError);
    await expect(signal.writes![0]).rejects.toThrow(`does not hold partition ${partitionOfHome(HOME)} now`);
    expect(engine.notRecorded.get('sos')).toBe(1);
    expect(store.list({})).toEqual([]);
    expect(journal.healthy).toBe(true);
    expect(await lines()).toBe(0);
  });

  it("a rule's wake-up for the home (a door left open): refused and counted, the process goes on", async () => {
    const { clock, store, engine, event, lines } = await nodeWithLapsedLease();
    const opened = event(DOOR, 'open');
    expect(opened.writes).toEqual([]); // opening raises nothing yet: the rule asks to be woken
    expect(() => clock.advance(60 * MIN)).not.toThrow();
    expect(engine.notRecorded.get(doorLeftOpenRule.id)).toBe(1);
    expect(store.list({})).toEqual([]);
    expect(await lines()).toBe(0);
  });
});

describe("an alert service's timer (HomeTimers)", () => {
  it("refused for a partition no longer held: the timer ends quietly; any other error still surfaces", () => {
    const clock = new ManualClock();
    const timers = new HomeTimers(clock, new OwnedPartitions([partitionOfHome(HOME)]));
    const fired: string[] = [];
    timers.arm('refused', HOME, clock.now() + 1_000, () => {
      fired.push('refused');
      throw new NotOwnedHereError('this node does not hold partition 1 now; another node acts for it: try again');
    });
    expect(() => clock.advance(1_000)).not.toThrow();
    expect(fired).toEqual(['refused']);
    timers.arm('broken', HOME, clock.now() + 1_000, () => {
      throw new Error('a bug in the timer');
    });
    expect(() => clock.advance(1_000)).toThrow('a bug in the timer');
  });
});

describe('an alarm whose alert line was refused, over real MQTT', () => {
  it('gets no PUBACK and its connection closes; the device sends it again, and that one is processed, acknowledged and recorded once', async () => {
    const hub = keep(await startTestHub({ store: 'files' }), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const d = devices[0]!;
    // The fence's refusal at append, as the PostgreSQL journal of a node whose lease ran out throws it (the tests above).
    const journal = hub.hub.journal;
    const append = journal.append.bind(journal);
    let refuse = true;
    journal.append = ((type: string, data: unknown, homeId?: string) => {
      if (refuse && type.startsWith('alert.')) throw new NotOwnedHereError(`this node does not hold partition ${partitionOfHome(homeId ?? '')} now; another node acts for it: try again`);
      return append(type, data, homeId);
    }) as typeof journal.append;
    const seen: boolean[] = [];
    keep(
      hub.hub.bus.on('device.signal', (signal) => void (signal.channel === 'event' && seen.push(refuse))),
      (off) => off(),
    );
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret, { reconnectPeriod: 100 }), endClient);
    let acked = false;
    const closed = waitForClose(client, 10_000);
    const publish = client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 }).then(() => (acked = true));
    await closed;
    expect(acked).toBe(false);
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toEqual([]);
    refuse = false;
    await publish; // resent on the next connection, acknowledged there
    // The resend was processed (not dropped as a duplicate of the refused one): seen twice.
    expect(seen).toEqual([true, false]);
    const alerts = (await hub.api.get('/api/v1/alerts')).body.alerts as { kind: string; occurrences: number }[];
    expect(alerts.map((a) => [a.kind, a.occurrences])).toEqual([['sos', 1]]);
  });
});

describe("an installer's test press whose commissioning tick was refused, over real MQTT", () => {
  it('gets no PUBACK and is not ticked; its resend ticks the checklist', async () => {
    const hub = keep(await startTestHub({ store: 'files' }), closeHub);
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'], live: false });
    const d = devices[0]!;
    const journal = hub.hub.journal;
    const append = journal.append.bind(journal);
    let refuse = true;
    journal.append = ((type: string, data: unknown, homeId?: string) => {
      if (refuse && type === 'commissioning.tick') throw new NotOwnedHereError('this node does not hold the partition now; another node acts for it: try again');
      return append(type, data, homeId);
    }) as typeof journal.append;
    const heartbeat = async () => ((await hub.api.get(`/api/v1/homes/${homeId}/commissioning`)).body.devices as { checks: { id: string; done: boolean }[] }[])[0]!.checks.find((c) => c.id === 'heartbeat')!.done;
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret, { reconnectPeriod: 100 }), endClient);
    let acked = false;
    const closed = waitForClose(client, 10_000);
    const publish = client.publishAsync(`hc/v1/${d.id}/telemetry`, JSON.stringify({ heartRate: 72, battery: 90 }), { qos: 1 }).then(() => (acked = true));
    await closed;
    expect(acked).toBe(false);
    expect(await heartbeat()).toBe(false);
    refuse = false;
    await publish;
    expect(await heartbeat()).toBe(true);
  });
});
