/**
 * Issue 10 item 9, certificate renewal: the hub reloads HUB_TLS_CERT /
 * HUB_TLS_KEY on SIGHUP (Hub#reloadTls) without dropping a connection; new
 * connections get the new certificate on both the MQTT TLS and the HTTPS
 * port; a bad new file keeps the certificate in use and logs one line.
 */
import { rm, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../hub/core/logger.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { startHubProcess, type HubProcess } from './helpers/hub-process.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { makeTlsFixture, type TlsFixture } from './helpers/test-certs.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { servedFingerprint, tlsFetch } from './helpers/tls-client.js';

const keep = useCleanup();
let fx: TlsFixture;

/** Each test renews its own copy of the files. */
async function fixture(): Promise<TlsFixture> {
  const dir = await makeTempDir('hub-tls-certs-');
  keep(dir, (d) => d.remove());
  return makeTlsFixture(dir.path);
}

function ports(hub: TestHub): { mqtts: number; https: number } {
  return { mqtts: Number(new URL(hub.mqttsUrl!).port), https: Number(new URL(hub.httpUrl).port) };
}

/** JSON log lines the hub writes, for the one-line check. */
function captureLog(): { lines: () => any[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines: () => lines.map((l) => JSON.parse(l)), log: createLogger('info', sink) };
}

describe('certificate reload', () => {
  it('serves the new certificate to new connections and keeps the open ones (MQTT over TLS and wss)', async () => {
    fx = await fixture();
    const hub = keep(await startTestHub({ env: fx.env, fetch: tlsFetch(fx.hubA.cert) }), closeHub);
    const [device] = (await hub.provisionHome({ kinds: ['bracelet'] })).devices;
    const mqtt = keep(await connectDevice(hub.mqttsUrl!, device!.id, device!.secret, { ca: fx.hubA.cert }), endClient);
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`, {}, { ca: fx.hubA.cert }), closeStream);
    await stream.next((m) => m.type === 'snapshot');
    expect((mqtt.stream as TLSSocket).getPeerCertificate().fingerprint256).toBe(fx.hubA.fingerprint256);

    await fx.install(fx.hubB);
    expect(await hub.hub.reloadTls()).toBe(true);

    const { mqtts, https } = ports(hub);
    expect(await servedFingerprint(mqtts)).toBe(fx.hubB.fingerprint256);
    expect(await servedFingerprint(https)).toBe(fx.hubB.fingerprint256);
    // The connections made with A are still up and carry an alarm end to end.
    expect(mqtt.connected).toBe(true);
    await mqtt.publishAsync(`hc/v1/${device!.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    expect((await stream.next((m) => m.type === 'alert.raised')).alert.deviceId).toBe(device!.id);
    // New clients trust B and get through.
    const api = new ApiClient(hub.httpUrl, tlsFetch(fx.hubB.cert));
    api.token = hub.api.token;
    expect((await api.get('/api/v1/alerts?status=open')).body.alerts).toHaveLength(1);
    const fresh = keep(await connectDevice(hub.mqttsUrl!, device!.id, device!.secret, { ca: fx.hubB.cert }), endClient);
    expect(fresh.connected).toBe(true);
  });

  it('keeps the certificate in use when the new files are bad, with one log line naming the problem', async () => {
    fx = await fixture();
    const { lines, log } = captureLog();
    const hub = keep(await startTestHub({ env: fx.env, fetch: tlsFetch(fx.hubA.cert), log }), closeHub);
    const { mqtts, https } = ports(hub);
    const bad: [() => Promise<void>, RegExp][] = [
      [() => writeFile(fx.live.certPath, 'not a certificate'), /HUB_TLS_CERT \S+ is not a PEM certificate/],
      [async () => (await fx.install(fx.hubA), writeFile(fx.live.keyPath, fx.hubB.key)), /HUB_TLS_KEY \S+ is not the private key of the certificate in HUB_TLS_CERT/],
      [() => rm(fx.live.certPath), /HUB_TLS_CERT \S+ cannot be read \(ENOENT\)/],
    ];
    for (const [breakFiles, expected] of bad) {
      await breakFiles();
      const before = lines().length;
      expect(await hub.hub.reloadTls()).toBe(false);
      const logged = lines().slice(before);
      expect(logged).toHaveLength(1);
      expect(logged[0].msg).toMatch(/^TLS reload failed, still serving the previous certificate: /);
      expect(logged[0].msg).toMatch(expected);
      expect(logged[0].certificateInUse).toBe(fx.hubA.fingerprint256);
      expect(await servedFingerprint(mqtts)).toBe(fx.hubA.fingerprint256);
      expect(await servedFingerprint(https)).toBe(fx.hubA.fingerprint256);
    }
    // The key never reaches the log.
    expect(JSON.stringify(lines())).not.toContain('PRIVATE KEY');
    // Fixed files are picked up by the next reload.
    await fx.install(fx.hubB);
    expect(await hub.hub.reloadTls()).toBe(true);
    expect(await servedFingerprint(mqtts)).toBe(fx.hubB.fingerprint256);
  });

  it('reloads on SIGHUP in the real process, which stays up', async () => {
    fx = await fixture();
    const dataDir = await makeTempDir();
    keep(dataDir, (d) => d.remove());
    const proc: HubProcess = await startHubProcess({ ...fx.env, HUB_DATA_DIR: dataDir.path, HUB_LOG_LEVEL: 'info' });
    keep(proc, async (p) => {
      p.child.kill('SIGKILL');
      await p.exited;
    });
    expect(proc.stdout()).toMatch(new RegExp(`MQTT broker listening on mqtts://127\\.0\\.0\\.1:${proc.mqttsPort} \\(TLS\\)\\n`));
    expect(proc.stdout()).toMatch(new RegExp(`HTTP API and console listening on https://127\\.0\\.0\\.1:${proc.httpPort}\\n`));
    expect(await servedFingerprint(proc.mqttsPort!)).toBe(fx.hubA.fingerprint256);

    await fx.install(fx.hubB);
    proc.child.kill('SIGHUP');
    await waitFor(() => proc.stderr().includes('TLS certificates reloaded'), 10_000, () => proc.stderr());
    expect(await servedFingerprint(proc.mqttsPort!)).toBe(fx.hubB.fingerprint256);
    expect(await servedFingerprint(proc.httpPort)).toBe(fx.hubB.fingerprint256);
    expect(proc.child.exitCode).toBeNull();
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${describe().slice(-500)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
