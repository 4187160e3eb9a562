/**
 * A device's recent readings as the console reads them
 * (GET /api/v1/devices/{id}/readings), end to end: a bracelet publishes
 * telemetry over real MQTT, and the API gives back what the hub validated
 * (unknown fields dropped), oldest first, the newest 256 once more were sent,
 * each with only its own fields; `since` filters; a bad `since` is a 400 that
 * changes nothing; a family sees only their own relative's device.
 */
import { describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();
const RING = 256;
const SENT = 300;

/** What reading i carries: its number as the step count, a heart rate, the other fields now and then, and one the hub does not know. */
function telemetry(i: number): Record<string, unknown> {
  return {
    seq: i + 1,
    steps: i,
    heartRate: 60 + (i % 30),
    ...(i % 10 === 0 ? { battery: 95 - i / 10 } : {}),
    ...(i % 7 === 0 ? { worn: i % 14 === 0 } : {}),
    ...(i % 50 === 0 ? { location: { lat: 30.66, lon: 104.07, accuracyM: i } } : {}),
    firmwareNote: 'not in the schema',
  };
}
/** What the hub keeps of it: not the field it does not know, nor the message's own seq. */
const validated = (i: number) => {
  const { firmwareNote: _unknown, seq: _seq, ...kept } = telemetry(i);
  return kept;
};

describe('a device’s recent readings', () => {
  it('are what the device sent, oldest first, the newest 256, filtered by `since`; a bad `since` changes nothing; a family sees only their own', async () => {
    // 300 readings in a burst: above the default 20 a second a device may send.
    const hub = keep(await startTestHub({ env: { HUB_PUBLISHES_PER_DEVICE_PER_SEC: '10000' } }), closeHub);
    const mine = await hub.provisionHome({ kinds: ['bracelet'] });
    const other = await hub.provisionHome({ kinds: ['bracelet'] });
    const bracelet = mine.devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
    for (let i = 0; i < SENT; i++) await client.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify(telemetry(i)), { qos: 1 });

    const path = `/api/v1/devices/${bracelet.id}/readings`;
    await expect.poll(async () => (await hub.api.get(path)).body.readings.at(-1)?.values.steps, { timeout: 15_000 }).toBe(SENT - 1);
    const { body } = await hub.api.get(path);
    expect(body.deviceId).toBe(bracelet.id);
    expect(body.readings.map((r: { values: unknown }) => r.values)).toEqual(Array.from({ length: RING }, (_, k) => validated(SENT - RING + k)));
    const times = body.readings.map((r: { at: string }) => Date.parse(r.at));
    expect(times.every((t: number, k: number) => Number.isFinite(t) && (k === 0 || t >= times[k - 1]))).toBe(true);

    // `since`: from a reading's own time on (readings of the same millisecond all count).
    const since = body.readings[200].at as string;
    const later = (await hub.api.get(`${path}?since=${encodeURIComponent(since)}`)).body.readings;
    expect(later).toEqual(body.readings.filter((r: { at: string }) => r.at >= since));
    expect(later.length).toBeGreaterThanOrEqual(RING - 200);

    const bad = await hub.api.get(`${path}?since=yesterday`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toContain('since');
    expect((await hub.api.get(path)).body).toEqual(body);

    // A family member linked to the other home may not read this bracelet; linked to this one, they may.
    const family = (await hub.api.post('/api/v1/users', { username: 'li.na', password: 'family-password', role: 'family', displayName: 'Li Na' })).body as { id: string };
    await hub.api.request('PUT', `/api/v1/homes/${other.homeId}/family/${family.id}`, {});
    const relative = new ApiClient(hub.httpUrl);
    await relative.login('li.na', 'family-password');
    const refused = await relative.get(path);
    expect([403, 404]).toContain(refused.status);
    expect(JSON.stringify(refused.body)).not.toContain('heartRate');
    await hub.api.request('PUT', `/api/v1/homes/${mine.homeId}/family/${family.id}`, {});
    await relative.login('li.na', 'family-password');
    expect((await relative.get(path)).body).toEqual(body);
  });
});
