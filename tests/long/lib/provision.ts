/** Provisions homes of bracelets through the hub's real API, a few homes at a time. */
import type { ApiClient } from '../../helpers/api-client.js';

export interface Device {
  id: string;
  secret: string;
  homeId: string;
}

export async function provisionBracelets(api: ApiClient, count: number, perHome = 5, parallel = 4): Promise<Device[]> {
  const homes = Math.ceil(count / perHome);
  const devices: Device[] = [];
  let next = 0;
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  async function worker(): Promise<void> {
    for (let h = next++; h < homes; h = next++) {
      const home = await api.post('/api/v1/homes', { name: `Load home ${h}`, address: `${h} Test Road`, resident: { name: `Resident ${h}`, birthYear: 1940 } });
      if (home.status !== 201) throw new Error(`create home: ${home.status} ${JSON.stringify(home.body)}`);
      const homeId = home.body.id as string;
      for (let d = 0; d < perHome && h * perHome + d < count; d++) {
        const res = await api.post(`/api/v1/homes/${homeId}/devices`, { kind: 'bracelet', serial: `LT-${tag}-${h}-${d}` });
        if (res.status !== 201) throw new Error(`add device: ${res.status} ${JSON.stringify(res.body)}`);
        devices.push({ id: res.body.id, secret: res.body.secret, homeId });
      }
      const live = await api.post(`/api/v1/homes/${homeId}/go-live`, { overrideReason: 'reliability run: devices are simulated' });
      if (live.status !== 200) throw new Error(`go-live: ${live.status} ${JSON.stringify(live.body)}`);
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker));
  return devices;
}
