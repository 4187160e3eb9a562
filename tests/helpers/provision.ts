/**
 * Provisions a home and its devices through the real HTTP API, as an admin
 * would: the home with its resident, each device (its one-time secret kept),
 * then go-live with the override reason (the devices are not commissioned).
 */
import type { ApiClient } from './api-client.js';

export interface ProvisionedDevice {
  id: string;
  kind: string;
  secret: string;
  homeId: string;
}

export interface ProvisionOptions {
  kinds?: string[];
  live?: boolean;
  conditions?: string[];
}

let serial = 0;

export async function provisionHomeThrough(api: ApiClient, { kinds = ['bracelet'], live = true, conditions = [] }: ProvisionOptions = {}): Promise<{ homeId: string; devices: ProvisionedDevice[] }> {
  const home = await api.post('/api/v1/homes', {
    name: 'Test home',
    address: '1 Test Road',
    resident: { name: 'Wang Lan', birthYear: 1941, conditions },
  });
  if (home.status !== 201) throw new Error(`create home: ${home.status} ${JSON.stringify(home.body)}`);
  const homeId = home.body.id as string;
  const devices: ProvisionedDevice[] = [];
  for (const kind of kinds) {
    const res = await api.post(`/api/v1/homes/${homeId}/devices`, { kind, serial: `SN-${process.pid}-${++serial}-${kind}` });
    if (res.status !== 201) throw new Error(`add device: ${res.status} ${JSON.stringify(res.body)}`);
    devices.push({ id: res.body.id, kind, secret: res.body.secret, homeId });
  }
  if (live) {
    const res = await api.post(`/api/v1/homes/${homeId}/go-live`, { overrideReason: 'test fixture: devices are not commissioned' });
    if (res.status !== 200) throw new Error(`go live: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { homeId, devices };
}
