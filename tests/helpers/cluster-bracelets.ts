/**
 * Bracelets for cluster tests: many homes with one bracelet each, provisioned
 * in one request, and devices that roam to the next node when theirs goes
 * (what a TCP load balancer does in production).
 */
import type { MqttClient } from 'mqtt';
import type { ApiClient } from './api-client.js';
import { endClient, type Keep } from './cleanup.js';
import type { ClusterProcess } from './cluster-processes.js';
import { connectDeviceOnceKnown } from './mqtt-device.js';
import type { ProvisionedDevice } from './provision.js';

/** Up to 500 homes with one bracelet each, live, through one bulk request. */
export async function provisionBracelets(api: ApiClient, count: number): Promise<ProvisionedDevice[]> {
  const homes = Array.from({ length: count }, (_, i) => ({
    name: `Home ${i}`,
    address: `${i} Cluster Road`,
    resident: { name: `Resident ${i}`, birthYear: 1940 },
    devices: [{ kind: 'bracelet', serial: `CL-${process.pid}-${Date.now()}-${i}` }],
  }));
  const res = await api.post('/api/v1/homes/batch', { homes, goLiveOverrideReason: 'cluster test fixture, not commissioned' });
  if (res.status !== 201) throw new Error(`batch: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return (res.body.homes as { home: { id: string }; devices: { id: string; kind: string; secret: string }[] }[]).map(({ home, devices }) => ({ ...devices[0]!, homeId: home.id }));
}

/** A device that, when its node goes, reconnects to the next one (a TCP load balancer's job in production). */
export async function connectRoaming(keep: Keep, nodes: ClusterProcess[], first: number, device: ProvisionedDevice): Promise<MqttClient> {
  const order = nodes.map((_, i) => nodes[(first + i) % nodes.length]!);
  const servers = order.map((n) => ({ host: '127.0.0.1', port: n.proc.mqttPort }));
  // Like a real bracelet (simulators/simulated-device.ts): a retained `offline` as its last will.
  const will = { topic: `hc/v1/${device.id}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: true };
  return keep(await connectDeviceOnceKnown(order[0]!.mqttUrl, device.id, device.secret, { servers, reconnectPeriod: 100, connectTimeout: 5_000, will }), endClient);
}
