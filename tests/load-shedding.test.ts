/**
 * Overload: with the event loop saturated the hub sheds routine telemetry
 * (still a sign of life) but never an alarm — not SOS events, not a gas
 * reading, not a 0 bpm reading — and resumes full processing when load drops.
 */
import { describe, expect, it } from 'vitest';
import { LoadShedder } from '../hub/ingest/load-shedder.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub } from './helpers/test-hub.js';

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

  it('sheds routine bracelet telemetry under overload but keeps every alarm, then resumes', async () => {
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
    await b.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate: 88 }), { qos: 1 });
    const state = hub.hub.states.get(bracelet.id)!;
    expect(state.lastValues.heartRate).toBe(70); // not processed…
    expect(state.lastSeen).toBeGreaterThan(before); // …but a sign of life
    expect(hub.hub.load.shedTelemetry).toBe(1);

    await b.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    await g.publishAsync(`hc/v1/${gas.id}/telemetry`, JSON.stringify({ lel: 25 }), { qos: 1 });
    await b.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate: 0, worn: true }), { qos: 1 });
    const kinds = (await hub.api.get('/api/v1/alerts')).body.alerts.map((a: { kind: string }) => a.kind).sort();
    expect(kinds).toEqual(['gas', 'heart_rate', 'sos']);
    expect(hub.hub.load.shedTelemetry).toBe(1);

    utilisation = 0.3;
    hub.hub.load.check();
    await b.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate: 91 }), { qos: 1 });
    expect(hub.hub.states.get(bracelet.id)!.lastValues.heartRate).toBe(91);
    expect((await hub.api.get('/api/v1/health')).body.load.shedding).toBe(false);
  });
});
