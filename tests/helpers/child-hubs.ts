/**
 * Hubs as child processes for crash tests, logged in as admin, with the MQTT
 * clients and temp dirs that go with them; whatever a test started is killed
 * (SIGKILL: there is nothing to save) and removed after it.
 */
import type { MqttClient } from 'mqtt';
import { afterEach } from 'vitest';
import { ApiClient } from './api-client.js';
import { startHubProcess, type HubProcess } from './hub-process.js';
import { makeTempDir } from './temp-dir.js';

export interface ChildHub {
  proc: HubProcess;
  api: ApiClient;
}

export function useChildHubs(adminPassword: string) {
  const running: HubProcess[] = [];
  const clients: MqttClient[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    for (const p of running.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
    for (const c of cleanups.splice(0)) await c();
  });

  return {
    async start(dataDir: string, env: Record<string, string> = {}): Promise<ChildHub> {
      const proc = await startHubProcess({ HUB_DATA_DIR: dataDir, HUB_ADMIN_PASSWORD: adminPassword, ...env });
      running.push(proc);
      const api = new ApiClient(`http://127.0.0.1:${proc.httpPort}`);
      await api.login('admin', adminPassword);
      return { proc, api };
    },
    async tempDir(): Promise<string> {
      const temp = await makeTempDir();
      cleanups.push(temp.remove);
      return temp.path;
    },
    /** Ends the client after the test (it may also be ended earlier). */
    track<T extends MqttClient>(client: T): T {
      clients.push(client);
      return client;
    },
  };
}
