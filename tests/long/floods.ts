/**
 * Issue 7 item 4, floods and limits, against the hub as a child process:
 * - idle: N TCP connections that never send CONNECT are all closed within the
 *   connect timeout, while a bracelet's alarms keep getting PUBACKs;
 * - bigconnect: M connections each starting a 200 MB CONNECT cost < 20 MB of RSS;
 * - rate: a device over its publish rate is disconnected and audited;
 * - frozen: a subscriber that stops reading does not stall the others
 *   (the broker in its conformance profile: devices cannot subscribe to others' topics);
 * - http: p99 of GET /api/v1/alerts stays < 100 ms while the broker takes
 *   5,000 msg/s (a small fetch loop, 10 concurrent clients; the MQTT load runs in
 *   its own process, tests/long/lib/telemetry-load.ts).
 *
 *   npx tsx tests/long/floods.ts [--idle 5000] [--big 100] [--rate 5000] [--seconds 20] [--only idle|bigconnect|rate|frozen|http]
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../helpers/hub-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { RawClient, sleep } from '../conformance/raw-client.js';
import { AlarmDevice } from './lib/alarm-device.js';
import { isMain, report } from './lib/cli.js';
import { killHard, MB, rssOf, startHub, stopGracefully } from './lib/hub-child.js';
import { provisionBracelets } from './lib/provision.js';

const round = (n: number) => Math.round(n * 10) / 10;

function percentiles(values: number[]): { p50: number; p99: number; max: number; count: number } {
  const v = [...values].sort((a, b) => a - b);
  const at = (p: number) => v[Math.min(v.length - 1, Math.floor(v.length * p))] ?? NaN;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(v.at(-1) ?? NaN), count: v.length };
}

function openSocket(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** Samples a pid's RSS every 100 ms until stopped; returns the peak. */
function rssSampler(pid: number): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await rssOf(pid).catch(() => 0));
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** A bracelet sending `perSec` SOS a second (its PUBACK latencies go to the device's onAck). */
function alarmProbe(device: AlarmDevice, perSec: number): { stop(): { unacked: number; sent: number } } {
  const timer = setInterval(() => device.sendAlarm(), 1000 / perSec);
  return {
    stop() {
      clearInterval(timer);
      return { unacked: device.pending.size, sent: device.stats.sent };
    },
  };
}

export async function floodIdle(count: number, log: (l: string) => void) {
  const temp = await makeTempDir('hub-flood-');
  // The default limits: 50 new connections/s per IP (burst 100), 5 s connect timeout.
  const hub = await startHub(temp.path, { HUB_CONNECTIONS_PER_IP_PER_SEC: '50', HUB_PUBLISHES_PER_DEVICE_PER_SEC: '20' });
  try {
    const [device] = await provisionBracelets(hub.api, 1);
    const latencies: number[] = [];
    const probe = new AlarmDevice(device!, () => hub.proc.mqttPort, (_i, _s, ms) => latencies.push(ms));
    await probe.connect();
    const pid = hub.proc.child.pid!;
    const before = await rssOf(pid);
    const sampler = rssSampler(pid);
    const alarms = alarmProbe(probe, 5);
    const timeoutMs = 5_000;
    const sockets: { socket: Socket; openedAt: number; closedAfter?: number }[] = [];
    let refused = 0;
    const start = Date.now();
    // 50 source addresses × 100 connections: within each address's burst, so the
    // connect timeout (not the per-IP rate) is what closes them.
    const perIp = Math.ceil(count / 50);
    for (let batch = 0; batch < count; batch += 250) {
      await Promise.all(
        Array.from({ length: Math.min(250, count - batch) }, async (_, j) => {
          const i = batch + j;
          try {
            const socket = await openSocket(hub.proc.mqttPort, `127.0.1.${1 + Math.floor(i / perIp)}`);
            const entry: (typeof sockets)[number] = { socket, openedAt: Date.now() };
            socket.on('close', () => (entry.closedAfter = Date.now() - entry.openedAt));
            socket.on('error', () => undefined);
            sockets.push(entry);
          } catch {
            refused++;
          }
        }),
      );
    }
    const openedIn = Date.now() - start;
    log(`idle: ${sockets.length} connections open in ${openedIn} ms (${refused} refused)`);
    const deadline = Date.now() + timeoutMs + 5_000;
    while (sockets.some((s) => s.closedAfter === undefined) && Date.now() < deadline) await sleep(100);
    const { unacked, sent } = alarms.stop();
    await sleep(500);
    const peak = await sampler.stop();
    const closeTimes = sockets.map((s) => s.closedAfter ?? Infinity);
    const figures = {
      connections: count,
      opened: sockets.length,
      refused,
      openedInMs: openedIn,
      connectTimeoutMs: timeoutMs,
      closedWithinTimeoutPlus1s: closeTimes.filter((t) => t <= timeoutMs + 1_000).length,
      stillOpen: closeTimes.filter((t) => t === Infinity).length,
      closeAfterMs: percentiles(closeTimes.filter(Number.isFinite)),
      hubRssMB: { before: round(before / MB), peak: round(peak / MB), perIdleConnectionKB: round((peak - before) / 1024 / Math.max(1, sockets.length)) },
      alarmsDuringFlood: { sent, unacked: unacked, pubackMs: percentiles(latencies) },
    };
    for (const s of sockets) s.socket.destroy();
    probe.stop();
    return { figures, pass: figures.stillOpen === 0 && figures.closedWithinTimeoutPlus1s === sockets.length && sockets.length === count && unacked <= 1 && figures.alarmsDuringFlood.pubackMs.max < 1_000 };
  } finally {
    await stopGracefully(hub.proc);
    await killHard(hub.proc);
    await temp.remove();
  }
}

export async function floodBigConnect(count: number, log: (l: string) => void) {
  const temp = await makeTempDir('hub-flood-');
  const hub = await startHub(temp.path, { HUB_CONNECTIONS_PER_IP_PER_SEC: '50' });
  try {
    const pid = hub.proc.child.pid!;
    await sleep(1_000);
    const before = await rssOf(pid);
    const sampler = rssSampler(pid);
    const header = Buffer.from([0x10, 0x80, 0x80, 0x80, 0x60]); // CONNECT, remaining length 200 MiB
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    let bytesAccepted = 0;
    const closedAfterBytes: number[] = [];
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const socket = await openSocket(hub.proc.mqttPort, `127.0.2.${1 + (i % 50)}`);
        socket.on('error', () => undefined);
        let written = 0;
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
        socket.write(header);
        // Keep pushing the body (up to 200 MB) until the hub hangs up.
        while (!socket.destroyed && written < 200 * MB) {
          const ok = socket.write(chunk);
          written += chunk.length;
          if (!ok) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
        }
        await Promise.race([closed, sleep(10_000)]);
        closedAfterBytes.push(written);
        bytesAccepted += written;
        socket.destroy();
      }),
    );
    await sleep(500);
    const peak = await sampler.stop();
    const after = await rssOf(pid);
    const figures = {
      connections: count,
      announcedBytesEach: 200 * 1024 * 1024,
      clientBytesWrittenBeforeCloseMB: percentiles(closedAfterBytes.map((b) => b / MB)),
      hubRssMB: { before: round(before / MB), peak: round(peak / MB), after: round(after / MB), peakMinusBefore: round((peak - before) / MB) },
    };
    log(`bigconnect: RSS +${figures.hubRssMB.peakMinusBefore} MB at peak`);
    return { figures, pass: figures.hubRssMB.peakMinusBefore < 20 };
  } finally {
    await stopGracefully(hub.proc);
    await killHard(hub.proc);
    await temp.remove();
  }
}

export async function floodRate(log: (l: string) => void) {
  const temp = await makeTempDir('hub-flood-');
  const hub = await startHub(temp.path, { HUB_PUBLISHES_PER_DEVICE_PER_SEC: '20' });
  try {
    const [device] = await provisionBracelets(hub.api, 1);
    const client = await RawClient.open({ port: hub.proc.mqttPort, record: false });
    await client.connect({ clientId: device!.id, username: device!.id, password: Buffer.from(device!.secret) });
    let sent = 0;
    const start = Date.now();
    while (!client.closed && sent < 5_000) {
      client.send({ cmd: 'publish', topic: `hc/v1/${device!.id}/telemetry`, payload: `{"heartRate":70,"seq":${sent}}`, qos: 0, retain: false, dup: false });
      sent++;
      if (sent % 50 === 0) await sleep(1);
    }
    await client.waitClosed(5_000).catch(() => undefined);
    await sleep(200);
    const audit = (await hub.api.get('/api/v1/audit?limit=200')).body;
    const entries = (audit.entries ?? audit.items ?? audit) as { action: string }[];
    const audited = Array.isArray(entries) && entries.some((e) => e.action === 'mqtt.rate_limit_refused');
    const figures = { limitPerSec: 20, burst: 100, sentBeforeDisconnect: sent, disconnectedAfterMs: Date.now() - start, disconnected: client.closed, audited };
    log(`rate: disconnected after ${sent} messages, audited ${audited}`);
    return { figures, pass: client.closed && audited };
  } finally {
    await stopGracefully(hub.proc);
    await killHard(hub.proc);
    await temp.remove();
  }
}

async function startConformanceChild(): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'hub/tools/broker-conformance.ts', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HUB_LOG_LEVEL: 'error', HUB_CONNECTIONS_PER_IP_PER_SEC: '1000', HUB_PUBLISHES_PER_DEVICE_PER_SEC: '100000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`conformance broker exited ${code}`)));
  });
  return {
    port,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** A subscriber that stops reading must not stall delivery to the others, nor PUBACKs. */
export async function floodFrozen(messages: number, log: (l: string) => void) {
  const broker = await startConformanceChild();
  try {
    const frozen = await RawClient.open({ port: broker.port, record: false });
    await frozen.connect({ clientId: 'frozen-sub' });
    await frozen.subscribe('load/#', 0);
    frozen.socket.pause(); // never reads again: its TCP window fills, then the broker's buffers
    const healthy = await RawClient.open({ port: broker.port, record: false });
    await healthy.connect({ clientId: 'healthy-sub' });
    await healthy.subscribe('load/#', 0);
    let got = 0;
    let lastAt = 0;
    healthy.onPacket = (p) => {
      if (p.cmd === 'publish') {
        got++;
        lastAt = Date.now();
      }
    };
    const pub = await RawClient.open({ port: broker.port, record: false });
    await pub.connect({ clientId: 'publisher' });
    const payload = Buffer.alloc(1024, 0x61);
    const start = Date.now();
    for (let i = 0; i < messages; i++) {
      pub.send({ cmd: 'publish', topic: `load/${i % 10}`, payload, qos: 0, retain: false, dup: false });
      if (i % 200 === 0) await sleep(1);
    }
    const deadline = Date.now() + 90_000;
    while (got < messages && Date.now() < deadline) await sleep(50);
    const t0 = Date.now();
    const acked = await pub.publish('probe/qos1', 'x', { qos: 1 }, 90_000).then(
      () => Date.now() - t0,
      () => Infinity,
    );
    // Reading again, the frozen client finds the hub closed it (after the bytes that were in flight).
    frozen.socket.resume();
    const frozenClosed = await frozen.waitClosed(10_000).then(
      () => true,
      () => false,
    );
    const figures = {
      messages,
      payloadBytes: 1024,
      healthyReceived: got,
      healthyAllWithinMs: got === messages ? lastAt - start : null,
      publisherPubackMsAfterFlood: acked,
      frozenSubscriberDisconnected: frozenClosed,
    };
    log(`frozen: healthy got ${got}/${messages} in ${lastAt - start} ms; frozen disconnected: ${frozenClosed}`);
    for (const c of [frozen, healthy, pub]) c.destroy();
    return { figures, pass: got === messages && acked < 1_000 && frozenClosed };
  } finally {
    await broker.stop();
  }
}

export async function floodHttp(rate: number, seconds: number, log: (l: string) => void) {
  const temp = await makeTempDir('hub-flood-');
  const hub = await startHub(temp.path, { HUB_PUBLISHES_PER_DEVICE_PER_SEC: '1000' });
  try {
    const devices = await provisionBracelets(hub.api, 100);
    // Some open alerts for the list to show: one SOS from each of 20 homes.
    for (const d of devices.filter((_, i) => i % 5 === 0)) {
      const c = await RawClient.open({ port: hub.proc.mqttPort });
      await c.connect({ clientId: d.id, username: d.id, password: Buffer.from(d.secret) });
      await c.publish(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
      c.destroy();
    }
    const url = `http://127.0.0.1:${hub.proc.httpPort}/api/v1/alerts`;
    const headers = { authorization: `Bearer ${hub.api.token}` };
    const measure = async (ms: number) => {
      const latencies: number[] = [];
      let errors = 0;
      const until = Date.now() + ms;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (Date.now() < until) {
            const t = performance.now();
            const res = await fetch(url, { headers });
            await res.arrayBuffer();
            latencies.push(performance.now() - t);
            if (res.status !== 200) errors++;
          }
        }),
      );
      return { ...percentiles(latencies), reqPerSec: Math.round(latencies.length / (ms / 1000)), errors };
    };
    const idle = await measure(3_000);
    const file = join(temp.path, 'load-devices.json');
    await writeFile(file, JSON.stringify(devices));
    const load = spawn(process.execPath, ['--import', 'tsx', 'tests/long/lib/telemetry-load.ts', String(hub.proc.mqttPort), file, String(rate), String(seconds)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    load.stdout!.on('data', (d) => (out += d));
    while (!out.includes('ready')) await sleep(50);
    await sleep(1_000); // let the load reach its rate
    const underLoad = await measure((seconds - 2) * 1000);
    await new Promise((r) => load.once('exit', r));
    const mqtt = JSON.parse(out.trim().split('\n').at(-1)!) as { sent: number; acked: number; sentPerSec: number; ackedPerSec: number; skipped: number };
    const figures = { client: 'fetch loop, 10 concurrent, keep-alive', alertsListed: 20, idleMs: idle, underLoadMs: underLoad, mqtt: { targetPerSec: rate, ...mqtt } };
    log(`http: p99 ${underLoad.p99} ms under ${mqtt.ackedPerSec} msg/s acked`);
    return { figures, pass: underLoad.p99 < 100 && underLoad.errors === 0 && mqtt.ackedPerSec >= rate * 0.95 };
  } finally {
    await stopGracefully(hub.proc);
    await killHard(hub.proc);
    await temp.remove();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: { idle: { type: 'string' }, big: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' }, frozen: { type: 'string' }, only: { type: 'string' } },
    strict: true,
  });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const only = values.only?.split(',');
  const want = (name: string) => !only || only.includes(name);
  const results: Record<string, unknown> = {};
  let pass = true;
  const run = async (name: string, fn: () => Promise<{ figures: unknown; pass: boolean }>) => {
    if (!want(name)) return;
    const r = await fn();
    results[name] = { pass: r.pass, ...(r.figures as object) };
    pass &&= r.pass;
  };
  process.stderr.write(`ulimit -n (open files) of this process: ${await openFileLimit()}\n`);
  await run('idle', () => floodIdle(Number(values.idle ?? 5_000), log));
  await run('bigconnect', () => floodBigConnect(Number(values.big ?? 100), log));
  await run('rate', () => floodRate(log));
  await run('frozen', () => floodFrozen(Number(values.frozen ?? 50_000), log));
  await run('http', () => floodHttp(Number(values.rate ?? 5_000), Number(values.seconds ?? 20), log));
  await report('floods', results, pass);
}

async function openFileLimit(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const limits = await readFile('/proc/self/limits', 'utf8');
  return /Max open files\s+(\d+)\s+(\d+)/.exec(limits)?.slice(1).join(' (hard ') + ')' || 'unknown';
}
