/**
 * Issue 10 item 2 as the issue measured it: 100 MB bodies to POST
 * /api/v1/auth/login, chunked and with a Content-Length, four at a time and
 * again and again, against the hub as a child process. Each gets a 413 in the
 * API's error shape; the hub's peak RSS (VmHWM, reset just before) grows by
 * less than 20 MB; and a bracelet's SOS keeps being acknowledged during the
 * uploads about as fast as before them.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.js';
import { bigUpload, type UploadResult } from './helpers/big-upload.js';
import { startHubProcess, type HubProcess } from './helpers/hub-process.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { provisionBracelets } from './long/lib/provision.js';

const MB = 1024 * 1024;
const PASSWORD = 'body-limit-password';
let hub: HubProcess;
let temp: { path: string; remove(): Promise<void> };
let device: MqttClient;
let topic: string;
let seq = 0;

beforeAll(async () => {
  temp = await makeTempDir();
  hub = await startHubProcess({ HUB_DATA_DIR: temp.path, HUB_ADMIN_PASSWORD: PASSWORD });
  const api = new ApiClient(`http://127.0.0.1:${hub.httpPort}`);
  await api.login('admin', PASSWORD);
  const [bracelet] = await provisionBracelets(api, 1);
  device = await connectDevice(`mqtt://127.0.0.1:${hub.mqttPort}`, bracelet!.id, bracelet!.secret);
  topic = `hc/v1/${bracelet!.id}/event`;
}, 30_000);

afterAll(async () => {
  await device?.endAsync(true);
  if (hub && hub.child.exitCode === null) {
    hub.child.kill('SIGKILL');
    await hub.exited;
  }
  await temp?.remove();
});

async function procStatus(field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${hub.child.pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
}

/** One SOS at QoS 1: resolves with its PUBACK latency and when it came. */
async function sos(): Promise<{ ms: number; ackedAt: number }> {
  const sent = Date.now();
  await device.publishAsync(topic, JSON.stringify({ type: 'sos', seq: ++seq, ts: sent }), { qos: 1 });
  return { ms: Date.now() - sent, ackedAt: Date.now() };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function expect413(r: UploadResult): void {
  expect(r.status).toBe(413);
  expect(JSON.parse(r.reply.slice(r.reply.indexOf('\r\n\r\n') + 4))).toEqual({
    error: { code: 'payload_too_large', message: 'the request body is larger than 1048576 bytes' },
  });
  // Far less than the 100 MB the client tried to send got through before the answer.
  expect(r.bytesWritten).toBeLessThan(20 * MB);
}

describe('request body limit', () => {
  it('refuses a 100 MB login body, chunked or with Content-Length, with 413 at a cost under 20 MB', async () => {
    for (const framing of ['chunked', 'content-length'] as const) {
      // Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
      await writeFile(`/proc/${hub.child.pid}/clear_refs`, '5');
      const rssBefore = await procStatus('VmRSS');
      expect413(await bigUpload(hub.httpPort, '/api/v1/auth/login', 100 * MB, framing));
      expect(((await procStatus('VmHWM')) - rssBefore) / MB).toBeLessThan(20);
    }
  });

  it('keeps acknowledging alarms promptly while 100 MB uploads are in flight, four at a time', async () => {
    const baseline: number[] = [];
    for (let i = 0; i < 10; i++) baseline.push((await sos()).ms);
    await writeFile(`/proc/${hub.child.pid}/clear_refs`, '5');
    const rssBefore = await procStatus('VmRSS');
    const attackStart = Date.now();
    let attacking = true;
    const during: { ms: number; ackedAt: number }[] = [];
    const alarms = (async () => {
      while (attacking) during.push(await sos());
    })();
    const results: UploadResult[] = [];
    for (let round = 0; round < 3; round++) {
      const framings = ['chunked', 'content-length', 'chunked', 'content-length'] as const;
      results.push(...(await Promise.all(framings.map((f) => bigUpload(hub.httpPort, '/api/v1/auth/login', 100 * MB, f)))));
    }
    const attackEnd = Date.now();
    attacking = false;
    await alarms;

    results.forEach(expect413);
    // Four bodies at once: each under the 20 MB budget (without the limit: 100 MB each, and more).
    expect(((await procStatus('VmHWM')) - rssBefore) / MB).toBeLessThan(4 * 20);
    expect(during.filter((a) => a.ackedAt > attackStart && a.ackedAt < attackEnd).length).toBeGreaterThan(0);
    // Without the limit alarms took seconds (issue 10: p99 10.9 s). The bound is loose on purpose: on the
    // shared 2-core machine under a full suite, 261 ms against a 20 ms baseline was the machine, not the uploads.
    expect(median(during.map((a) => a.ms))).toBeLessThan(10 * median(baseline) + 500);
    expect(hub.child.exitCode).toBeNull();
  }, 60_000);
});
