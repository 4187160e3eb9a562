/**
 * `npx tsx bench/mass-disconnect.ts` (issue 12, docs/PERFORMANCE.md "A mass
 * disconnect"): how long one hub's timers stall when its devices leave it at
 * once. A cluster leader's lease keep-alive is such a timer; 13,700 devices
 * leaving held them 16 s and cost the leader its lease. This runs the
 * `npm start` bundle alone on its files, connects --homes × 4 devices, makes
 * all of them leave in one go (DISCONNECT then FIN, as the storm bench's
 * devices do, or `--drop`: the sockets just close, so every will is due),
 * and reports:
 *   - the hub's own longest event-loop delay over the disconnect
 *     (prom-client's `nodejs_eventloop_lag_max_seconds`, reset by a scrape
 *     just before): what a timer waited at worst;
 *   - the longest PINGREQ → PINGRESP of a device that stays connected;
 *   - how long until the hub counts one connection again, and its CPU.
 * Writes bench/results/<ISO date>-mass-disconnect.json.
 *
 *   npx tsx bench/mass-disconnect.ts [--homes 1000] [--drop] [--port-base P] [--profile]
 * --port-base P: MQTT on P, HTTP on P+1 (default: free ports). --profile:
 * the hub runs with --cpu-prof; its self time from the disconnect to one
 * connection left is printed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { HubApi, neighbourhood, type ProvisionedDevice } from '../simulators/hub-api.js';
import { spawnReady } from './child.js';
import { LAG_MAX, metricValues } from './cluster-nodes.js';
import { writeResults } from './cluster-session.js';
import { cpuSeconds } from './proc-stats.js';
import { formatProfile, mainProfile, monotonicUs, summariseProfile } from './profile-summary.js';
import { benchHubEnv, buildHub, HUB_READY, PASSWORD, startScriptNodeFlags } from './targets/hub-target.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const homes = option('--homes', 1000);
const drop = args.includes('--drop');
const portBase = option('--port-base', 0);
const profile = args.includes('--profile');
const say = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const load1 = () => Math.round((loadavg()[0] ?? NaN) * 100) / 100;

/** A device's MQTT connection: CONNECT sent, resolves on its CONNACK (0). */
function connectDevice(port: number, device: ProvisionedDevice, onPacket?: (p: Packet) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connack') return p.returnCode === 0 ? resolve(socket) : reject(new Error(`CONNACK ${p.returnCode} for ${device.deviceId}`));
      onPacket?.(p);
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('error', reject);
    const will = { topic: `hc/v1/${device.deviceId}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 300, clientId: device.deviceId, username: device.deviceId, password: Buffer.from(device.secret), will }));
  });
}

/**
 * The hub's connection count and its longest event-loop delay since the
 * previous scrape (prom-client resets that histogram on every scrape: the
 * longest delay over several scrapes is the largest of their values).
 */
async function scrape(httpUrl: string): Promise<{ connections: number; lagMaxS: number }> {
  const values = await metricValues({ httpUrl }, ['hub_mqtt_connections', LAG_MAX]);
  if (!values) throw new Error(`the hub at ${httpUrl} does not answer /metrics`);
  return { connections: values['hub_mqtt_connections']!, lagMaxS: values[LAG_MAX]! };
}

interface PingProbe {
  /** A PINGRESP arrived. */
  pong(): void;
  /** Stops; the longest round trip in ms (one still unanswered counts until now). */
  stop(): number;
}

/** PINGREQ every 20 ms (one at a time) on a connection that stays. */
function pingProbe(socket: Socket): PingProbe {
  let sentAt: number | undefined;
  let worst = 0;
  const ping = mqttPacket.generate({ cmd: 'pingreq' });
  const waited = () => (sentAt === undefined ? 0 : performance.now() - sentAt);
  const timer = setInterval(() => {
    if (sentAt !== undefined) return;
    sentAt = performance.now();
    socket.write(ping);
  }, 20);
  return {
    pong() {
      worst = Math.max(worst, waited());
      sentAt = undefined;
    },
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(worst, waited()));
    },
  };
}

async function main(): Promise<void> {
  await buildHub();
  const dataDir = await mkdtemp(join(tmpdir(), 'hub-bench-massdisc-'));
  const profileDir = join(dataDir, 'profile');
  const window = { from: 0, to: 0 };
  const ports: Record<string, string> = portBase ? { HUB_MQTT_PORT: String(portBase), HUB_HTTP_PORT: String(portBase + 1) } : {};
  const hub = await spawnReady({ script: 'dist/bench-hub.mjs', nodeArgs: [...startScriptNodeFlags(), ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])], env: { ...benchHubEnv(dataDir), ...ports }, ready: HUB_READY });
  try {
    const mqttPort = Number(hub.matches[0]![1]);
    const httpUrl = `http://127.0.0.1:${hub.matches[1]![1]}`;
    const api = new HubApi(httpUrl);
    await api.login('admin', PASSWORD);
    say(`provisioning ${homes} homes`);
    const devices = (await api.provisionHomes(neighbourhood(homes), { concurrency: 8, serialPrefix: `MASSDISC-${process.pid}` })).flatMap((h) => h.devices);
    const [probeDevice, ...leaving] = devices;
    let probe: PingProbe | undefined;
    const probeSocket = await connectDevice(mqttPort, probeDevice!, (p) => p.cmd === 'pingresp' && probe?.pong());
    say(`connecting ${leaving.length} devices`);
    const sockets: Socket[] = [];
    for (let i = 0; i < leaving.length; i += 200) sockets.push(...(await Promise.all(leaving.slice(i, i + 200).map((d) => connectDevice(mqttPort, d)))));
    while ((await scrape(httpUrl)).connections < devices.length) await new Promise((r) => setTimeout(r, 100));
    // Settle, then a scrape that resets the event-loop delay histogram.
    await new Promise((r) => setTimeout(r, 3_000));
    await scrape(httpUrl);
    const loadBefore = load1();
    probe = pingProbe(probeSocket);
    const cpu0 = cpuSeconds(hub.pid);
    const started = performance.now();
    window.from = monotonicUs();
    say(`${leaving.length} devices leave at once (${drop ? 'sockets closed, wills due' : 'DISCONNECT then FIN'})`);
    const disconnect = mqttPacket.generate({ cmd: 'disconnect' });
    for (const socket of sockets) {
      if (drop) socket.destroy();
      else socket.end(disconnect);
    }
    let lagMaxS = 0;
    for (;;) {
      const now = await scrape(httpUrl);
      lagMaxS = Math.max(lagMaxS, now.lagMaxS);
      if (now.connections <= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const drainMs = Math.round(performance.now() - started);
    window.to = monotonicUs();
    const hubCpuS = Math.round((cpuSeconds(hub.pid) - cpu0) * 100) / 100;
    const pingMaxMs = probe.stop();
    // What is still to come of the closes' work (a will's journal write…) after the count reached 1.
    await new Promise((r) => setTimeout(r, 1_000));
    lagMaxS = Math.max(lagMaxS, (await scrape(httpUrl)).lagMaxS);
    const figures = { devicesLeaving: leaving.length, mode: drop ? 'drop' : 'disconnect', eventLoopDelayMaxMs: Math.round(lagMaxS * 1000), pingMaxMs, drainMs, hubCpuS, loadAvgBefore: loadBefore, loadAvgAfter: load1() };
    say(`hub's longest event-loop delay ${figures.eventLoopDelayMaxMs} ms; a staying device's longest ping ${pingMaxMs} ms; one connection left after ${drainMs} ms; hub CPU ${hubCpuS} s; load ${loadBefore} → ${figures.loadAvgAfter}`);
    probeSocket.destroy();
    await writeResults('bench/results', 'mass-disconnect', figures);
  } finally {
    await hub.stop();
    const file = profile ? await mainProfile(profileDir) : undefined;
    if (file) console.log(formatProfile(summariseProfile(JSON.parse(await readFile(file, 'utf8')), 25, window)));
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
