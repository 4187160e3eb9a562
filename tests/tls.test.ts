/**
 * Issue 10 item 9, serving TLS: with HUB_TLS_CERT and HUB_TLS_KEY the hub
 * also speaks MQTT over TLS and serves the API and the stream as HTTPS / wss
 * (plain HTTP is gone from that port; plain MQTT stays for devices without
 * TLS); the broker's guards stand in front of TLS connections too; optional
 * device certificates (HUB_TLS_CA) must name the device; start-up problems are
 * one line naming the variable. Certificate reloads: tls-reload.test.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../hub/config/config.js';
import { StartupError } from '../hub/core/data-dir.js';
import { Hub } from '../hub/hub.js';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { runHubCommand } from './helpers/hub-process.js';
import { closedWithin } from './helpers/sockets.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connackCode, connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { makeCert, useTlsFixture, type TestCert, type TlsFixture } from './helpers/test-certs.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { tlsFetch } from './helpers/tls-client.js';

const keep = useCleanup();
const tlsFixture = useTlsFixture();
let fx: TlsFixture;
beforeAll(() => {
  fx = tlsFixture();
});

async function tlsHub(env: Record<string, string> = {}): Promise<TestHub> {
  return keep(await startTestHub({ env: { ...fx.env, ...env }, fetch: tlsFetch(fx.hubA.cert) }), closeHub);
}

function mqttsPort(hub: TestHub): number {
  return Number(new URL(hub.mqttsUrl!).port);
}

function openTls(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = keep(tlsConnect({ port, host: '127.0.0.1', ca: fx.hubA.cert, servername: 'localhost' }, () => resolve(socket)), (s) => s.destroy());
    socket.once('error', reject);
  });
}

describe('TLS listeners', () => {
  it('serves MQTT over TLS, HTTPS and wss from the PEM files, and keeps plain MQTT', async () => {
    const hub = await tlsHub();
    expect(hub.httpUrl).toMatch(/^https:/);
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const device = devices[0]!;
    // wss, authenticated with the token the HTTPS login gave.
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`, {}, { ca: fx.hubA.cert }), closeStream);
    await stream.next((m) => m.type === 'snapshot');

    const secure = keep(await connectDevice(hub.mqttsUrl!, device.id, device.secret, { ca: fx.hubA.cert }), endClient);
    expect((secure.stream as TLSSocket).getPeerCertificate().fingerprint256).toBe(fx.hubA.fingerprint256);
    await secure.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    const raised = await stream.next((m) => m.type === 'alert.raised');
    expect(raised.alert.deviceId).toBe(device.id);

    // Devices without TLS still connect on the plain port (a site may firewall it).
    const plain = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
    expect(plain.connected).toBe(true);
    // The HTTP port speaks only TLS now: a plain-text request gets no answer.
    await expect(fetch(`http://127.0.0.1:${new URL(hub.httpUrl).port}/api/v1/health`)).rejects.toThrow();
    // Installers are told where devices connect over TLS.
    const added = await hub.api.post(`/api/v1/homes/${homeId}/devices`, { kind: 'bracelet', serial: 'SN-TLS-PORT' });
    expect(added.status).toBe(201);
    expect(added.body.mqtt).toMatchObject({ port: hub.mqttPort, tlsPort: mqttsPort(hub) });
  });

  it('keeps the connect timeout and the packet guard in front of TLS connections', async () => {
    const hub = await tlsHub({ HUB_CONNECT_TIMEOUT_MS: '300' });
    const [device] = (await hub.provisionHome({ kinds: ['bracelet'] })).devices;
    const port = mqttsPort(hub);
    // A stranger who never starts the handshake (Node's own limit would be 120 s).
    const silent = keep(await new Promise<Socket>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1', () => resolve(s));
    }), (s) => s.destroy());
    expect(await closedWithin(silent, 3_000)).toBeGreaterThanOrEqual(250);
    // Handshaken, but no CONNECT.
    expect(await closedWithin(await openTls(port), 3_000)).toBeGreaterThanOrEqual(250);
    // A packet announcing 1 MiB is refused before Aedes buffers it.
    const big = await openTls(port);
    big.write(Buffer.from([0x30, 0x80, 0x80, 0x40]));
    await closedWithin(big, 3_000);
    expect(hub.hub.broker.stats.guardViolations).toBe(1);
    expect(hub.hub.broker.stats.tlsHandshakesFailed).toBeGreaterThanOrEqual(1);
    // …and the hub still takes an SOS over TLS.
    const client = keep(await connectDevice(hub.mqttsUrl!, device!.id, device!.secret, { ca: fx.hubA.cert }), endClient);
    await client.publishAsync(`hc/v1/${device!.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    expect((await hub.api.get('/api/v1/alerts?status=open')).body.alerts).toHaveLength(1);
  });
});

describe('device client certificates (HUB_TLS_CA)', () => {
  let hub: TestHub;
  let a: { id: string; secret: string };
  let b: { id: string; secret: string };
  let certA: TestCert;
  let certB: TestCert;
  let forged: TestCert;
  const clock = new ManualClock();

  beforeAll(async () => {
    // A manual clock, to step past the audit throttle (one refusal line per source per 10 s).
    hub = await startTestHub({ clock, env: { ...fx.env, HUB_TLS_CA: fx.deviceCa.certPath }, fetch: tlsFetch(fx.hubA.cert) });
    const { devices } = await hub.provisionHome({ kinds: ['bracelet', 'bracelet'] });
    [a, b] = [devices[0]!, devices[1]!];
    [certA, certB, forged] = await Promise.all([
      makeCert(fx.dir, 'dev-a', { cn: a.id, signedBy: fx.deviceCa }),
      makeCert(fx.dir, 'dev-b', { cn: b.id, signedBy: fx.deviceCa }),
      // The right CN, but not signed by the site's CA.
      makeCert(fx.dir, 'forged-a', { cn: a.id, signedBy: await makeCert(fx.dir, 'other-ca', { cn: 'other CA', ca: true }) }),
    ]);
  });
  afterAll(() => hub.stop());

  const tls = (cert?: TestCert) => ({ ca: fx.hubA.cert, ...(cert ? { cert: cert.cert, key: cert.key } : {}) });
  const refusals = () => hub.hub.audit.recent().filter((e) => e.action === 'mqtt.connect_refused').map((e) => String(e.detail?.reason));

  it('accepts the device with its own certificate and its secret, or with its secret alone', async () => {
    const withCert = keep(await connectDevice(hub.mqttsUrl!, a.id, a.secret, tls(certA)), endClient);
    expect(withCert.connected).toBe(true);
    await withCert.endAsync();
    const withoutCert = keep(await connectDevice(hub.mqttsUrl!, a.id, a.secret, tls()), endClient);
    expect(withoutCert.connected).toBe(true);
  });

  it("refuses another device's certificate and one from another CA with CONNACK 5, audited", async () => {
    expect(await connackCode(hub.mqttsUrl!, { clientId: a.id, username: a.id, password: a.secret, ...tls(certB) })).toBe(5);
    clock.advance(11_000);
    expect(await connackCode(hub.mqttsUrl!, { clientId: a.id, username: a.id, password: a.secret, ...tls(forged) })).toBe(5);
    const reasons = refusals();
    expect(reasons.some((r) => r.includes(`CN "${b.id}" is not the device id`))).toBe(true);
    expect(reasons.some((r) => r.includes('not signed by HUB_TLS_CA'))).toBe(true);
  });

  it('never lets a certificate replace the secret (CONNACK 4)', async () => {
    expect(await connackCode(hub.mqttsUrl!, { clientId: a.id, username: a.id, password: 'wrong', ...tls(certA) })).toBe(4);
    expect(await connackCode(hub.mqttsUrl!, { clientId: a.id, username: a.id, ...tls(certA) })).toBe(4);
    expect(JSON.stringify(hub.hub.audit.recent())).not.toContain(a.secret);
  });
});

describe('TLS start-up errors', () => {
  /** The StartupError's message is the line hub/main.ts prints (explainStartError). */
  async function startError(env: Record<string, string>): Promise<{ message: string; dataDir: string }> {
    const dataDir = join(fx.dir, `never-created-${Math.random().toString(36).slice(2)}`);
    const config = loadConfig({ env: { HUB_MQTT_PORT: '0', HUB_HTTP_PORT: '0', HUB_MQTTS_PORT: '0', HUB_DATA_DIR: dataDir, HUB_LOG_LEVEL: 'silent', ...env } });
    const err = await new Hub({ config }).start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartupError);
    return { message: (err as StartupError).message, dataDir };
  }

  it('names the variable to fix in one line, before anything is created', async () => {
    const { hubA, hubB, deviceCa } = fx;
    const cases: [Record<string, string>, RegExp][] = [
      [{ HUB_TLS_CERT: hubA.certPath }, /^HUB_TLS_CERT is set but HUB_TLS_KEY is not/],
      [{ HUB_TLS_KEY: hubA.keyPath }, /^HUB_TLS_KEY is set but HUB_TLS_CERT is not/],
      [{ HUB_TLS_CA: deviceCa.certPath }, /^HUB_TLS_CA is set without HUB_TLS_CERT and HUB_TLS_KEY/],
      [{ HUB_TLS_CERT: join(fx.dir, 'missing.pem'), HUB_TLS_KEY: hubA.keyPath }, /^HUB_TLS_CERT \S+missing\.pem cannot be read \(ENOENT\)/],
      [{ HUB_TLS_CERT: hubA.keyPath, HUB_TLS_KEY: hubA.keyPath }, /^HUB_TLS_CERT \S+ is not a PEM certificate/],
      [{ HUB_TLS_CERT: hubA.certPath, HUB_TLS_KEY: hubB.keyPath }, /^HUB_TLS_KEY \S+hub-b\.key is not the private key of the certificate in HUB_TLS_CERT/],
      [{ HUB_TLS_CERT: hubA.certPath, HUB_TLS_KEY: hubA.keyPath, HUB_TLS_CA: hubA.keyPath }, /^HUB_TLS_CA \S+ is not a PEM CA certificate/],
    ];
    for (const [env, pattern] of cases) {
      const { message, dataDir } = await startError(env);
      expect(message).toMatch(pattern);
      expect(message).not.toContain('\n');
      expect(existsSync(dataDir)).toBe(false);
    }
  });

  it('prints that one line and exits 1 from the command line', async () => {
    const run = runHubCommand([], { HUB_TLS_CERT: join(fx.dir, 'missing.pem'), HUB_TLS_KEY: fx.hubA.keyPath, HUB_DATA_DIR: join(fx.dir, 'cli-data') });
    expect(await run.exited).toBe(1);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hub: HUB_TLS_CERT \S+missing\.pem cannot be read \(ENOENT\): set HUB_TLS_CERT to a PEM file/);
  });
});
