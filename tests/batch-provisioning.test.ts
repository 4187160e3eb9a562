/** Bulk installs through POST /homes/batch: all checked first, written once, credentials returned once. */
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();

const home = (i: number, devices: { kind: string; serial: string }[]) => ({
  name: `Home ${i}`,
  address: `${i} Batch Road`,
  resident: { name: `Resident ${i}`, birthYear: 1940 },
  devices,
});

describe('batch provisioning', () => {
  it('creates many homes with their devices, whose credentials work', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const homes = Array.from({ length: 300 }, (_, i) => home(i, [{ kind: 'bracelet', serial: `B-${i}` }, { kind: 'door_sensor', serial: `D-${i}` }]));
    const res = await hub.api.post('/api/v1/homes/batch', { homes });
    expect(res.status).toBe(201);
    expect(res.body.homes).toHaveLength(300);
    expect(new Set(res.body.homes.flatMap((h: { devices: { id: string }[] }) => h.devices.map((d) => d.id))).size).toBe(600);
    const first = res.body.homes[0];
    expect(first.home).toMatchObject({ name: 'Home 0', status: 'installing', resident: { name: 'Resident 0' } });
    expect(first.devices[0]).toMatchObject({ kind: 'bracelet', serial: 'B-0', mqtt: { username: first.devices[0].id } });
    keep(await connectDevice(hub.mqttUrl, first.devices[0].id, first.devices[0].secret), endClient);
    expect((await hub.api.get('/api/v1/homes')).body.homes).toHaveLength(300);
    expect(hub.hub.audit.recent().find((e) => e.action === 'homes.batch_created')?.detail).toMatchObject({ devices: 600 });
  });

  it('creates nothing when one device or one home is wrong', async () => {
    const hub = keep(await startTestHub(), closeHub);
    await hub.provisionHome({ kinds: ['smoke_sensor'] });
    const existing = (await hub.api.get('/api/v1/homes?include=devices')).body.homes[0].devices[0].serial;
    const twice = await hub.api.post('/api/v1/homes/batch', { homes: [home(1, [{ kind: 'bracelet', serial: 'X' }]), home(2, [{ kind: 'bracelet', serial: 'X' }])] });
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toContain('appears twice');
    const taken = await hub.api.post('/api/v1/homes/batch', { homes: [home(1, [{ kind: 'bracelet', serial: 'Y' }]), home(2, [{ kind: 'smoke_sensor', serial: existing }])] });
    expect(taken.status).toBe(409);
    const bad = await hub.api.post('/api/v1/homes/batch', { homes: [home(1, []), { ...home(2, []), resident: { birthYear: 1940 } }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('homes.1.resident.name');
    expect((await hub.api.get('/api/v1/homes')).body.homes).toHaveLength(1);
  });
});
