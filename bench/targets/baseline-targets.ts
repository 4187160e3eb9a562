/** The two baselines as bench targets: bare Aedes in a child process, and the local Mosquitto with a Node subscriber. */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { mosquittoBinary, startOwnMosquitto } from '../baselines/own-mosquitto.js';
import { spawnReady } from '../child.js';
import { syntheticDevices, type Target } from './target.js';

export async function startAedesTarget(homes: number): Promise<Target> {
  const child = await spawnReady({
    script: 'bench/baselines/aedes-broker.ts',
    ready: [/MQTT broker listening on mqtt:\/\/[^:\s]+:(\d+)/, /alarm push listening on ws:\/\/[^:\s]+:(\d+)/],
  });
  return {
    name: 'aedes',
    description: 'bare Aedes in its own process, in-process subscriber, no auth, no validation, no journal',
    host: '127.0.0.1',
    port: Number(child.matches[0]![1]),
    observerUrl: `ws://127.0.0.1:${child.matches[1]![1]}`,
    brokerPid: child.pid,
    workPids: [child.pid],
    devices: syntheticDevices(homes),
    countsDelivered: true,
    // The same node + tsx start as the hub's: what the hub's cold start costs beyond it is its own.
    setup: { coldStartEmptyMs: child.readyMs },
    stop: () => child.stop(),
  };
}

export const MOSQUITTO = { host: '127.0.0.1', port: 1883 };

/** Whether something answers on Mosquitto's port; the baseline is skipped (and says so) if not. */
export function mosquittoReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(MOSQUITTO.port, MOSQUITTO.host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function mosquittoPid(): Promise<number> {
  const text = await readFile('/run/mosquitto/mosquitto.pid', 'utf8').catch(() => '');
  return Number(text.trim()) || 0;
}

/** Mosquitto: the bench's own on a free port when the binary is installed, else the system one on 1883. */
export async function startMosquittoTarget(homes: number): Promise<Target> {
  const binary = mosquittoBinary();
  const own = binary ? await startOwnMosquitto(binary) : undefined;
  const port = own?.port ?? MOSQUITTO.port;
  const subscriber = await spawnReady({
    script: 'bench/baselines/mosquitto-subscriber.ts',
    env: { MOSQUITTO_URL: `mqtt://${MOSQUITTO.host}:${port}` },
    ready: [/subscribed to/, /alarm push listening on ws:\/\/[^:\s]+:(\d+)/],
  }).catch(async (err: unknown) => {
    await own?.stop();
    throw err;
  });
  const brokerPid = own?.pid ?? (await mosquittoPid());
  return {
    name: 'mosquitto',
    description: own
      ? `Mosquitto (own, in memory, TCP_NODELAY) on 127.0.0.1:${port} + a Node subscriber running the topic, JSON and zod checks`
      : 'Mosquitto on 127.0.0.1:1883 + a Node subscriber running the topic, JSON and zod checks',
    host: MOSQUITTO.host,
    port,
    observerUrl: `ws://127.0.0.1:${subscriber.matches[1]![1]}`,
    brokerPid,
    workPids: [brokerPid, subscriber.pid].filter((p) => p > 0),
    devices: syntheticDevices(homes),
    countsDelivered: true,
    setup: {},
    async stop() {
      await subscriber.stop();
      await own?.stop();
    },
  };
}
