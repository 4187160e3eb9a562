/**
 * The few REST calls simulators need to set up homes on a running hub (login,
 * create home, register device, go live), over plain HTTP with fetch — the
 * public API an installer's app uses, never the hub's files or code.
 */

export interface ProvisionedDevice {
  deviceId: string;
  kind: string;
  secret: string;
  homeId: string;
}

export interface ProvisionedHome {
  homeId: string;
  devices: ProvisionedDevice[];
}

export interface HomeSpec {
  name: string;
  address: string;
  resident: { name: string; birthYear: number; conditions?: string[] };
  kinds: readonly string[];
  live: boolean;
}

export class HubApiError extends Error {}

export class HubApi {
  token: string | undefined;

  constructor(readonly baseUrl: string) {}

  async request<T>(method: string, path: string, body?: unknown, expect = [200, 201]): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!expect.includes(res.status)) throw new HubApiError(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async login(username: string, password: string): Promise<string> {
    const { token } = await this.request<{ token: string }>('POST', '/auth/login', { username, password });
    this.token = token;
    return token;
  }

  /** One home with its resident and devices, put live if asked: 2 + kinds.length requests. */
  async provisionHome(spec: HomeSpec, serialPrefix: string): Promise<ProvisionedHome> {
    const home = await this.request<{ id: string }>('POST', '/homes', { name: spec.name, address: spec.address, resident: spec.resident });
    const devices: ProvisionedDevice[] = [];
    for (const [i, kind] of spec.kinds.entries()) {
      const d = await this.request<{ id: string; secret: string }>('POST', `/homes/${home.id}/devices`, { kind, serial: `${serialPrefix}-${i}-${kind}` });
      devices.push({ deviceId: d.id, kind, secret: d.secret, homeId: home.id });
    }
    // Simulated devices are not commissioned one by one like real ones (test button, fall test…):
    // the installer's override, which the hub audits, is the honest way to put them live.
    if (spec.live) await this.request('POST', `/homes/${home.id}/go-live`, { overrideReason: 'simulated home (npm run demo / bench): devices not commissioned by hand' });
    return { homeId: home.id, devices };
  }

  /**
   * Provisions many homes through POST /homes/batch, a few hundred per call
   * (each registry file written once per call, not once per home), reporting
   * progress after each call. `concurrency` calls run at once.
   */
  async provisionHomes(specs: readonly HomeSpec[], options: { concurrency: number; serialPrefix: string; onProgress?: (done: number) => void }): Promise<ProvisionedHome[]> {
    const CHUNK = 250;
    const out: ProvisionedHome[] = new Array(specs.length);
    let next = 0;
    let done = 0;
    const lane = async () => {
      while (next < specs.length) {
        const start = next;
        const end = Math.min(specs.length, start + CHUNK);
        next = end;
        await this.provisionChunk(specs, start, end, options.serialPrefix, out);
        done += end - start;
        options.onProgress?.(done);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, Math.ceil(specs.length / CHUNK))) }, lane));
    return out;
  }

  private async provisionChunk(specs: readonly HomeSpec[], from: number, to: number, serialPrefix: string, out: ProvisionedHome[]): Promise<void> {
    const chunk = specs.slice(from, to);
    const live = chunk.every((s) => s.live);
    const body = {
      homes: chunk.map((spec, j) => ({
        name: spec.name,
        address: spec.address,
        resident: spec.resident,
        devices: spec.kinds.map((kind, k) => ({ kind, serial: `${serialPrefix}-${from + j}-${k}-${kind}` })),
      })),
      // Simulated devices are not commissioned one by one like real ones (test button, fall test…).
      ...(live ? { goLiveOverrideReason: 'simulated home (npm run demo / bench): devices not commissioned by hand' } : {}),
    };
    const res = await this.request<{ homes: { home: { id: string }; devices: { id: string; kind: string; secret: string }[] }[] }>('POST', '/homes/batch', body);
    res.homes.forEach(({ home, devices }, j) => {
      out[from + j] = { homeId: home.id, devices: devices.map((d) => ({ deviceId: d.id, kind: d.kind, secret: d.secret, homeId: home.id })) };
    });
    // A mixed chunk: put the live ones live one by one.
    if (!live) {
      for (const [j, spec] of chunk.entries()) {
        if (spec.live) await this.request('POST', `/homes/${out[from + j]!.homeId}/go-live`, { overrideReason: 'simulated home (npm run demo / bench): devices not commissioned by hand' });
      }
    }
  }
}

/** A plausible neighbourhood: resident names and addresses for `count` homes, all four device kinds each. */
export function neighbourhood(count: number, live = true): HomeSpec[] {
  const surnames = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Zhao', 'Huang', 'Zhou', 'Wu'];
  const given = ['Lan', 'Mei', 'Jun', 'Hua', 'Ying', 'Fang', 'Ming', 'Qiang', 'Li', 'Xia'];
  return Array.from({ length: count }, (_, i) => {
    const surname = surnames[i % surnames.length]!;
    return {
      name: `${surname} home ${i + 1}`,
      address: `${1 + (i % 200)} Jinjiang Rd, Building ${1 + Math.floor(i / 200)}`,
      // Every fifth resident lives with dementia: a night exit of theirs is an alert at once.
      resident: { name: `${surname} ${given[Math.floor(i / surnames.length) % given.length]!}`, birthYear: 1930 + (i % 20), conditions: i % 5 === 2 ? ['dementia'] : [] },
      kinds: ['bracelet', 'gas_alarm', 'smoke_sensor', 'door_sensor'],
      live,
    };
  });
}
