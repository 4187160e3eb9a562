/**
 * Overload: the hub sheds routine telemetry (still a sign of life) but never
 * an alarm — not SOS events, not a gas reading, not a 0 bpm reading — and
 * resumes full processing when load drops. What the hub reads itself (QoS 0/1
 * uplink) is shed by the broker's scheduler once its queue is full; the
 * event-loop shedder guards Aedes' own path (QoS 2 here) and leaves what the
 * scheduler admitted alone (issue 14, third pass).
 */
import { describe, expect, it } from 'vitest';
import { LoadShedder, mayCarryAlarm } from '../hub/ingest/load-shedder.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();

describe('load shedding', () => {
  it('enters above 95 % event-loop utilisation and leaves below 80 % (hysteresis)', () => {
    const samples = [0.5, 0.96, 0.9, 0.85, 0.79, 0.94];
    let i = 0;
    const changes: boolean[] = [];
    const shedder = new LoadShedder(() => samples[i++]!, (shedding) => changes.push(shedding));
    const states = samples.map(() => (shedder.check(), shedder.shedding));
    expect(states).toEqual([false, true, true, true, false, false]);
    expect(changes).toEqual([true, false]);
  });

  it('finds a possible alarm in the raw bytes as a JSON parse would: 0 bpm, any gas LEL reading, an unknown kind', () => {
    const carries = (kind: string | undefined, text: string) => mayCarryAlarm(kind, Buffer.from(text));
    for (const zero of ['{"heartRate":0}', '{"battery":80, "heartRate" :\t0 ,"worn":true}', '{"heartRate":\n0}', '{"x":{"heartRate":1},"heartRate":0}', '{"heartRate":0e0}', '{"heartRate":-0}']) {
      expect(carries('bracelet', zero), zero).toBe(true);
      const parsed = (JSON.parse(zero) as { heartRate: number }).heartRate;
      expect(parsed === 0).toBe(true);
    }
    for (const pulse of ['{"heartRate":70}', '{"heartRate":0.5}', '{"heartRate":100}', '{"heartRate":"0"}', '{"battery":0}', '{"heartRate":07}', '{}']) {
      expect(carries('bracelet', pulse), pulse).toBe(false);
    }
    expect(carries('smoke_sensor', '{"heartRate":0}')).toBe(false);
    expect(carries('gas_alarm', '{"lel":0}')).toBe(true);
    expect(carries('gas_alarm', '{"battery":80,"rssi":-60}')).toBe(false);
    expect(carries(undefined, '{}')).toBe(true);
  });

  it('with the rules\' limits, finds a heart rate outside the wearer\'s range and a battery below the threshold in the raw bytes', () => {
    const limits = { heartRate: { min: 45, max: 120 }, batteryBelow: 15 };
    const carries = (kind: string, text: string) => mayCarryAlarm(kind, Buffer.from(text), limits);
    for (const outside of ['{"heartRate":121}', '{"heartRate":44}', '{"heartRate" : 180.5,"worn":true}', '{"heartRate":1e3}', '{"heartRate":12-1}', '{"battery":80,"x":{"heartRate":30}}', '{"battery":14.9}', '{"battery": 0}', '{"heartRate":1.}', '{"heartRate":.5}']) {
      expect(carries('bracelet', outside), outside).toBe(true);
    }
    for (const normal of ['{"heartRate":120}', '{"heartRate":45}', '{"heartRate":119.75}', '{"heartRate":4.5e1}', '{"heartRate":72,"battery":15}', '{"heartRate":"200"}', '{"battery":null}', '{"steps":10}']) {
      expect(carries('bracelet', normal), normal).toBe(false);
    }
    // A position fix only for a home in an emergency.
    expect(carries('bracelet', '{"heartRate":72,"location":{"room":"kitchen"}}')).toBe(false);
    expect(mayCarryAlarm('bracelet', Buffer.from('{"heartRate":72,"location" : {"room":"kitchen"}}'), limits, true)).toBe(true);
    expect(mayCarryAlarm('bracelet', Buffer.from('{"heartRate":72,"locationName":"x"}'), limits, true)).toBe(false);
    // Heart rate is a bracelet's alarm only; every kind's battery counts.
    expect(carries('door_sensor', '{"heartRate":200}')).toBe(false);
    expect(carries('door_sensor', '{"battery":10}')).toBe(true);
    expect(carries('smoke_sensor', '{"battery":90}')).toBe(false);
    // A bracelet whose home is not known here: only 0 bpm, as without limits.
    expect(mayCarryAlarm('bracelet', Buffer.from('{"heartRate":200,"battery":5}'))).toBe(false);
  });

  it('sheds routine bracelet telemetry on Aedes\' path while the loop is saturated but keeps every alarm, then resumes', async () => {
    let utilisation = 0.2;
    const hub = keep(await startTestHub({ loadSampler: () => utilisation }), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet', 'gas_alarm'] });
    const [bracelet, gas] = [devices[0]!, devices[1]!];
    const b = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
    const g = keep(await connectDevice(hub.mqttUrl, gas.id, gas.secret), endClient);
    await b.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate: 70 }), { qos: 1 });

    utilisation = 0.99;
    hub.hub.load.check();
    expect((await hub.api.get('/api/v1/health')).body.load).toMatchObject({ shedding: true });
    const before = hub.hub.states.get(bracelet.id)!.lastSeen!;
    await new Promise((r) => setTimeout(r, 5));
    // QoS 2 is Aedes' path (the hub takes only QoS 0/1 uplink itself): the event-loop shedder's.
    await b.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate: 88 }), { qos: 2 });
    const state = hub.hub.states.get(bracelet.id)!;
    expect(state.lastValues.heartRate).toBe(70); // not processed…
    expect(state.lastSeen).toBeGreaterThan(before); // …but a sign of life
    expect(hub.hub.load.shedTelemetry).toBe(1);
    // QoS 1 comes through the scheduler, which had room: processed in full.
    await b.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate: 77 }), { qos: 1 });
    expect(state.lastValues.heartRate).toBe(77);
    expect(hub.hub.load.shedTelemetry).toBe(1);

    await b.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    await g.publishAsync(`hc/v1/${gas.id}/telemetry`, JSON.stringify({ lel: 25 }), { qos: 2 });
    await b.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate: 0, worn: true }), { qos: 2 });
    const kinds = (await hub.api.get('/api/v1/alerts')).body.alerts.map((a: { kind: string }) => a.kind).sort();
    expect(kinds).toEqual(['gas', 'heart_rate', 'sos']);
    expect(hub.hub.load.shedTelemetry).toBe(1);

    utilisation = 0.3;
    hub.hub.load.check();
    await b.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate: 91 }), { qos: 2 });
    expect(hub.hub.states.get(bracelet.id)!.lastValues.heartRate).toBe(91);
    expect((await hub.api.get('/api/v1/health')).body.load.shedding).toBe(false);
  });

  it('processes in full the telemetry the broker queued within its bound, even while shedding', async () => {
    // Nothing runs at once: every telemetry message goes through the scheduler's queue.
    const hub = keep(await startTestHub({ loadSampler: () => 0.99, scheduler: { turnBudgetMs: 0 } }), closeHub);
    hub.hub.load.check();
    expect(hub.hub.load.shedding).toBe(true);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const b = keep(await connectDevice(hub.mqttUrl, devices[0]!.id, devices[0]!.secret), endClient);
    await b.publishAsync(`hc/v1/${devices[0]!.id}/telemetry`, JSON.stringify({ heartRate: 77 }), { qos: 1 });
    expect(hub.hub.states.get(devices[0]!.id)!.lastValues.heartRate).toBe(77);
    expect(hub.hub.load.shedTelemetry).toBe(0);
    expect(hub.hub.broker.uplinkStats.queued).toBe(1);
  });

  it('never sheds a reading outside the wearer\'s heart-rate range, nor a low battery: three in a row raise heart_rate under a full queue, with the range set for the resident', async () => {
    // Every telemetry message is triaged on arrival, and the routine ones are shed.
    const hub = keep(await startTestHub({ scheduler: { turnBudgetMs: 0, maxQueued: 0 } }), closeHub);
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const other = await hub.provisionHome({ kinds: ['bracelet', 'door_sensor'] });
    const bracelet = devices[0]!;
    const b = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
    const reading = async (client: typeof b, id: string, body: object) => {
      await client.publishAsync(`hc/v1/${id}/telemetry`, JSON.stringify(body), { qos: 1 });
      return hub.hub.states.get(id)?.lastValues;
    };
    const alertKinds = () => hub.hub.alerts.list().map((a) => a.kind).sort();

    // The default range is 45–120: 130 is never shed, 80 is.
    const o = keep(await connectDevice(hub.mqttUrl, other.devices[0]!.id, other.devices[0]!.secret), endClient);
    expect((await reading(o, other.devices[0]!.id, { heartRate: 80, worn: true }))?.heartRate).toBeUndefined();
    expect((await reading(o, other.devices[0]!.id, { heartRate: 130, worn: true }))?.heartRate).toBe(130);
    expect(hub.hub.load.shedTelemetry).toBe(1);

    // A resident whose normal range reaches 140: 135 is routine for them, and shed; 141 is not.
    const residentId = (await hub.api.get(`/api/v1/homes/${homeId}`)).body.resident.id as string;
    expect((await hub.api.request('PUT', `/api/v1/residents/${residentId}/rule-settings/heart_rate`, { min: 45, max: 140 })).status).toBe(200);
    expect((await reading(b, bracelet.id, { heartRate: 135, worn: true }))?.heartRate).toBeUndefined();
    expect(hub.hub.load.shedTelemetry).toBe(2);
    // Three out of range in a row, with normal readings shed around them: the alert.
    for (const bpm of [141, 142, 143]) await reading(b, bracelet.id, { heartRate: bpm, worn: true });
    expect(hub.hub.states.get(bracelet.id)!.lastValues.heartRate).toBe(143);
    await waitFor(() => alertKinds().includes('heart_rate'), 'the heart_rate alert');
    expect(hub.hub.load.shedTelemetry).toBe(2);

    // A battery below the home's threshold (15 %), of any kind, is processed and raises low_battery.
    const door = other.devices[1]!;
    const d = keep(await connectDevice(hub.mqttUrl, door.id, door.secret), endClient);
    expect((await reading(d, door.id, { battery: 40 }))?.battery).toBeUndefined();
    expect((await reading(d, door.id, { battery: 9 }))?.battery).toBe(9);
    await waitFor(() => alertKinds().includes('low_battery'), 'the low_battery alert');
    expect(hub.hub.load.shedTelemetry).toBe(3);
  });

  it('never sheds a position fix from a home with an open high or critical alert, until it is resolved; a low alert does not count', async () => {
    const hub = keep(await startTestHub({ scheduler: { turnBudgetMs: 0, maxQueued: 0 } }), closeHub);
    const home = await hub.provisionHome({ kinds: ['bracelet', 'door_sensor'] });
    const calm = await hub.provisionHome({ kinds: ['bracelet'] });
    const [bracelet, door, other] = [home.devices[0]!, home.devices[1]!, calm.devices[0]!];
    const b = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
    const d = keep(await connectDevice(hub.mqttUrl, door.id, door.secret), endClient);
    const c = keep(await connectDevice(hub.mqttUrl, other.id, other.secret), endClient);
    const heartRate = async (client: typeof b, id: string, bpm: number, fix = true) => {
      const body = fix ? { heartRate: bpm, worn: true, location: { room: 'kitchen' } } : { heartRate: bpm, worn: true };
      await client.publishAsync(`hc/v1/${id}/telemetry`, JSON.stringify(body), { qos: 1 });
      return hub.hub.states.get(id)?.lastValues.heartRate;
    };

    // A low battery is a low alert: the home's routine readings are still shed.
    await d.publishAsync(`hc/v1/${door.id}/telemetry`, JSON.stringify({ battery: 9 }), { qos: 1 });
    await waitFor(() => hub.hub.alerts.list().some((a) => a.kind === 'low_battery'), 'the low_battery alert');
    expect(await heartRate(b, bracelet.id, 80)).toBeUndefined();
    expect(hub.hub.load.shedTelemetry).toBe(1);

    await b.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    await waitFor(() => hub.hub.emergencyHomes.has(home.homeId), 'the home in an emergency');
    expect(await heartRate(b, bracelet.id, 81)).toBe(81); // a fix: processed, the alert follows it
    expect(hub.hub.alerts.get(hub.hub.alerts.list().find((a) => a.kind === 'sos')!.id)?.location).toMatchObject({ deviceId: bracelet.id });
    expect(await heartRate(b, bracelet.id, 82, false)).toBe(81); // no fix: shed
    expect(await heartRate(c, other.id, 83)).toBeUndefined(); // another home's fix: shed
    expect(hub.hub.load.shedTelemetry).toBe(3);

    const sos = hub.hub.alerts.list().find((a) => a.kind === 'sos')!;
    expect((await hub.api.post(`/api/v1/alerts/${sos.id}/acknowledge`, {})).status).toBe(200);
    expect((await hub.api.post(`/api/v1/alerts/${sos.id}/resolve`, { outcome: 'resident_ok' })).status).toBe(200);
    await waitFor(() => !hub.hub.emergencyHomes.has(home.homeId), 'the emergency over');
    expect(await heartRate(b, bracelet.id, 84)).toBe(81); // shed again
    expect(hub.hub.load.shedTelemetry).toBe(4);
  });

  it('sheds routine telemetry as it arrives once the broker queue is full, never a reading that may be an alarm, nor a device being installed', async () => {
    // Nothing runs at once and the queue is always full: every telemetry message is triaged on arrival.
    const hub = keep(await startTestHub({ scheduler: { turnBudgetMs: 0, maxQueued: 0 } }), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet', 'gas_alarm'] });
    const [bracelet, gas] = [devices[0]!, devices[1]!];
    const installing = (await hub.provisionHome({ kinds: ['bracelet'], live: false })).devices[0]!;
    const b = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
    const g = keep(await connectDevice(hub.mqttUrl, gas.id, gas.secret), endClient);
    const i = keep(await connectDevice(hub.mqttUrl, installing.id, installing.secret), endClient);

    await b.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate: 88 }), { qos: 1 });
    const state = hub.hub.states.get(bracelet.id)!;
    expect(state.lastValues.heartRate).toBeUndefined(); // acknowledged, not processed…
    expect(state.lastSeen).toBeDefined(); // …but a sign of life
    expect((await hub.api.get('/api/v1/health')).body.load).toMatchObject({ shedding: false, shedTelemetry: 1 });

    // Each of these is processed before its PUBACK: an alarm reading, an alarm event, a commissioning heartbeat.
    await b.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate: 0, worn: true }), { qos: 1 });
    await g.publishAsync(`hc/v1/${gas.id}/telemetry`, JSON.stringify({ lel: 25 }), { qos: 1 });
    await b.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    await i.publishAsync(`hc/v1/${installing.id}/telemetry`, JSON.stringify({ heartRate: 72 }), { qos: 1 });
    const kinds = (await hub.api.get('/api/v1/alerts')).body.alerts.map((a: { kind: string }) => a.kind).sort();
    expect(kinds).toEqual(['gas', 'heart_rate', 'sos']);
    expect(hub.hub.states.get(installing.id)!.lastValues.heartRate).toBe(72);
    const checks = (await hub.api.get(`/api/v1/homes/${installing.homeId}/commissioning`)).body.devices[0].checks;
    expect(checks.find((c: { id: string }) => c.id === 'heartbeat')).toMatchObject({ done: true });
    expect(hub.hub.load.shedTelemetry).toBe(1);
  });
});
