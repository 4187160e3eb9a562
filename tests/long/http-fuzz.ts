/**
 * Issue 10 item 1, the HTTP and WebSocket fuzzer (the MQTT one is fuzz.ts):
 * mutated request lines, headers, cookies, upgrades, WebSocket frames, bodies,
 * chunking, slow and pipelined clients against the hub as a child process,
 * while slow clients hold sockets open and a bracelet sends an SOS every
 * 500 ms. At the end the hub is alive, no request got a 5xx, health is green,
 * the stream still opens, and a fresh SOS from a device over real MQTT is
 * acknowledged and listed by the API.
 *
 *   npx tsx tests/long/http-fuzz.ts [--sessions 200000] [--concurrency 32] [--seed 1]
 */
import { connect } from 'node:net';
import { sleep } from '../conformance/raw-client.js';
import { connectDevice } from '../helpers/mqtt-device.js';
import { rawHttp } from '../helpers/raw-http.js';
import { StreamClient } from '../helpers/stream-client.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { ApiClient } from '../helpers/api-client.js';
import { AlarmDevice } from './lib/alarm-device.js';
import { isMain, numericFlags, report } from './lib/cli.js';
import { killHard, MB, rssOf, startHub, stopGracefully } from './lib/hub-child.js';
import { httpFuzzSession, type HttpFuzzContext } from './lib/http-mutations.js';
import { prng } from './lib/mutations.js';
import { provisionBracelets, type Device } from './lib/provision.js';

export const HTTP_FUZZ_DEFAULTS = { sessions: 200_000, concurrency: 32, seed: 1, slowHolders: 50, minLingerMs: 50, maxLingerMs: 100 };

export interface HttpFuzzFigures {
  sessions: number;
  sessionsPerSec: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  hubAlive: boolean;
  healthStatus: number;
  streamOpens: boolean;
  sosAfter: { acked: boolean; listed: boolean };
  probe: { sent: number; acked: number; maxMs: number };
  rssMB: { start: number; peak: number; end: number };
  hubErrors: string[];
  runSeconds: number;
}

const OPERATOR = { username: 'fuzz-operator', password: 'fuzz-operator-password' };

async function setUp(api: ApiClient, httpUrl: string, mqttUrl: string): Promise<{ ctx: HttpFuzzContext; probe: Device; after: Device }> {
  const [target, probe, after] = await provisionBracelets(api, 3, 1);
  const created = await api.post('/api/v1/users', { ...OPERATOR, displayName: 'Fuzz operator', role: 'operator' });
  if (created.status !== 201) throw new Error(`create operator: ${created.status} ${JSON.stringify(created.body)}`);
  const token = await new ApiClient(httpUrl).login(OPERATOR.username, OPERATOR.password);
  // One real alert, so mutated acknowledge / note requests reach real handlers.
  const device = await connectDevice(mqttUrl, target!.id, target!.secret);
  await device.publishAsync(`hc/v1/${target!.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
  await device.endAsync();
  const alerts = (await api.get('/api/v1/alerts?status=open')).body.alerts as { id: string }[];
  if (!alerts[0]) throw new Error('the set-up SOS raised no alert');
  return { ctx: { token, alertId: alerts[0].id }, probe: probe!, after: after! };
}

/** A fresh device's first SOS after the storm: acknowledged over MQTT and listed by the API. */
async function sosAfter(api: ApiClient, mqttUrl: string, device: Device): Promise<HttpFuzzFigures['sosAfter']> {
  try {
    const client = await connectDevice(mqttUrl, device.id, device.secret);
    await client.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    await client.endAsync();
    const open = (await api.get('/api/v1/alerts?status=open')).body.alerts as { homeId: string; kind: string }[];
    return { acked: true, listed: open.some((a) => a.homeId === device.homeId && a.kind === 'sos') };
  } catch {
    return { acked: false, listed: false };
  }
}

async function streamOpens(httpUrl: string, token: string): Promise<boolean> {
  try {
    const stream = await StreamClient.open(httpUrl, `token=${token}`);
    await stream.next((m) => m.type === 'snapshot');
    stream.close();
    return true;
  } catch {
    return false;
  }
}

/** Sockets that send half a request and then nothing, held open for the whole run. */
function holdSlowClients(port: number, count: number): { release(): void } {
  const sockets = Array.from({ length: count }, (_, i) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n${i % 2 ? '\r\n{"user' : 'X-Slow: '}`);
    });
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    return socket;
  });
  return { release: () => sockets.forEach((s) => s.destroy()) };
}

export async function runHttpFuzz(options: Partial<typeof HTTP_FUZZ_DEFAULTS> = {}, log: (line: string) => void = () => undefined): Promise<HttpFuzzFigures> {
  const o = { ...HTTP_FUZZ_DEFAULTS, ...options };
  const temp = await makeTempDir('hub-http-fuzz-');
  const started = Date.now();
  const hub = await startHub(temp.path, { HUB_LOG_LEVEL: 'warn' });
  const pid = hub.proc.child.pid!;
  const httpUrl = `http://127.0.0.1:${hub.proc.httpPort}`;
  const mqttUrl = `mqtt://127.0.0.1:${hub.proc.mqttPort}`;
  try {
    const { ctx, probe: probeDevice, after } = await setUp(hub.api, httpUrl, mqttUrl);
    const latencies: number[] = [];
    const probe = new AlarmDevice(probeDevice, () => hub.proc.mqttPort, (_id, _seq, ms) => latencies.push(ms));
    await probe.connect();
    const probeTimer = setInterval(() => probe.sendAlarm(), 500);
    const start = await rssOf(pid);
    let peak = start;
    const rssTimer = setInterval(() => void rssOf(pid).then((rss) => (peak = Math.max(peak, rss)), () => undefined), 500);
    const holders = holdSlowClients(hub.proc.httpPort, o.slowHolders);
    log(`fuzzing ${o.sessions} HTTP sessions, ${o.concurrency} at a time, seed ${o.seed}`);

    const byKind: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    let next = 0;
    const inFlight = new Set<number>();
    const fuzzStart = Date.now();
    const worker = async (w: number) => {
      for (let i = next++; i < o.sessions; i = next++) {
        const r = prng(o.seed * 1_000_003 + i);
        const session = httpFuzzSession(r, ctx);
        byKind[session.kind] = (byKind[session.kind] ?? 0) + 1;
        inFlight.add(i);
        const res = await rawHttp(hub.proc.httpPort, session.chunks, {
          localAddress: `127.0.0.${2 + ((i + w) % 240)}`,
          delayMs: session.delayMs,
          lingerMs: o.minLingerMs + Math.floor(r() * (o.maxLingerMs - o.minLingerMs)),
          // Close once the first answer is in: enough to count it, and the next session starts sooner.
          until: (reply) => reply.includes('\r\n\r\n'),
        });
        inFlight.delete(i);
        for (const m of res.reply.matchAll(/HTTP\/1\.1 (\d{3}) /g)) byStatus[m[1]!] = (byStatus[m[1]!] ?? 0) + 1;
        if (hub.proc.child.exitCode !== null || hub.proc.child.signalCode !== null) throw new Error(`hub died at session ${i} (${session.kind}); sessions in flight (replay them by index): ${[...inFlight].join(',')}: ${hub.proc.stderr().slice(-4_000)}`);
        if (i % 20_000 === 0 && i > 0) log(`${i} sessions, ${Math.round(i / ((Date.now() - fuzzStart) / 1000))}/s, RSS ${((await rssOf(pid)) / MB).toFixed(1)} MB`);
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
    const fuzzSeconds = (Date.now() - fuzzStart) / 1000;
    holders.release();
    clearInterval(probeTimer);
    clearInterval(rssTimer);
    const lastDeadline = Date.now() + 5_000;
    while (probe.pending.size > 0 && Date.now() < lastDeadline) await sleep(50);
    probe.stop();

    const hubAlive = hub.proc.child.exitCode === null && hub.proc.child.signalCode === null;
    const healthStatus = hubAlive ? (await fetch(`${httpUrl}/api/v1/health`)).status : 0;
    const figures: HttpFuzzFigures = {
      sessions: o.sessions,
      sessionsPerSec: Math.round(o.sessions / fuzzSeconds),
      byKind,
      byStatus,
      hubAlive,
      healthStatus,
      streamOpens: hubAlive && (await streamOpens(httpUrl, ctx.token)),
      sosAfter: hubAlive ? await sosAfter(hub.api, mqttUrl, after) : { acked: false, listed: false },
      probe: { sent: probe.stats.sent, acked: probe.acked.size, maxMs: Math.max(0, ...latencies) },
      rssMB: { start: round(start / MB), peak: round(peak / MB), end: round((await rssOf(pid).catch(() => NaN)) / MB) },
      hubErrors: [],
      runSeconds: 0,
    };
    await stopGracefully(hub.proc);
    // Anything the hub logged at error level (a handler that threw) is a finding.
    figures.hubErrors = hub.proc.stderr().split('\n').filter((l) => /"level":(50|60)/.test(l)).slice(0, 5);
    figures.runSeconds = Math.round((Date.now() - started) / 1000);
    return figures;
  } finally {
    await killHard(hub.proc);
    await temp.remove();
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

export function httpFuzzPassed(f: HttpFuzzFigures): boolean {
  const serverErrors = Object.entries(f.byStatus).filter(([s]) => s.startsWith('5')).length;
  return f.hubAlive && f.healthStatus === 200 && f.streamOpens && f.sosAfter.acked && f.sosAfter.listed && serverErrors === 0 && f.hubErrors.length === 0 && f.probe.acked === f.probe.sent;
}

if (isMain(import.meta.url)) {
  const options = numericFlags(HTTP_FUZZ_DEFAULTS);
  const figures = await runHttpFuzz(options, (line) => process.stderr.write(`${line}\n`));
  await report('http-fuzz', figures as unknown as Record<string, unknown>, httpFuzzPassed(figures));
}
