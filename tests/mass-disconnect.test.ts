/**
 * Mass disconnects (issue 12, docs/CLUSTER.md "Limits"), over real TCP: a
 * thousand devices with wills vanish at once. Node reads all their closed
 * sockets in one poll phase; the broker must still finish at most `perTurn`
 * closes per event-loop turn (close-queue.ts), so timers and a surviving
 * device's alarm run in between, and in the end every will is out and the
 * connection count is right. A device that reconnects while its old close
 * still waits ends up connected with its session.
 *
 * Counted with event-loop probes, not durations: closes finished between two
 * consecutive runs of a setImmediate chain (one per turn).
 */
import type { IConnackPacket, IPubackPacket, IPublishPacket, Packet } from 'mqtt-packet';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../hub/config/config.js';
import { silentLogger } from '../hub/core/logger.js';
import { MqttBroker } from '../hub/broker/mqtt-broker.js';
import { RawClient } from './conformance/raw-client.js';
import { waitFor } from './helpers/wait-for.js';

// Below libuv's 1,024 events per epoll_wait: the devices' closes and the survivor's alarm are all
// read in one poll phase, and its PUBACK only in a later turn (what makes the alarm test exact).
const LEAVING = 1_000;

let broker: MqttBroker | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await broker?.stop();
  broker = undefined;
});

/** What the broker told the hub: closes finished (in order), wills taken in per device, and all of it in order. */
interface Heard {
  closed: string[];
  wills: Map<string, number>;
  log: string[];
}

async function startBroker(perTurn: number): Promise<{ port: number; heard: Heard }> {
  const heard: Heard = { closed: [], wills: new Map(), log: [] };
  const defaults = loadConfig({ env: {} });
  broker = new MqttBroker({
    settings: { ...defaults, host: '127.0.0.1', mqttPort: 0, connectionsPerIpPerSec: 1_000_000, publishesPerDevicePerSec: 1_000 },
    registry: { deviceSecretValid: (id, secret) => secret === `s-${id}` },
    onDeviceMessage: (id, channel, payload) => {
      if (channel === 'status' && payload.toString() === 'offline') {
        heard.wills.set(id, (heard.wills.get(id) ?? 0) + 1);
        heard.log.push(`will ${id}`);
      }
      return undefined;
    },
    onConnection: (id, connected) => {
      if (!connected) heard.closed.push(id);
      heard.log.push(`${connected ? 'open' : 'close'} ${id}`);
    },
    audit: () => undefined,
    log: silentLogger(),
    // Only the count bounds a turn here: the budget is out of reach.
    closes: { perTurn, budgetMs: 60_000 },
  });
  const { port } = await broker.start();
  return { port, heard };
}

const will = (id: string) => ({ topic: `hc/v1/${id}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: false });

async function device(port: number, id: string, clean = true): Promise<{ client: RawClient; connack: IConnackPacket }> {
  const client = await RawClient.open({ port });
  clients.push(client);
  const connack = await client.connect({ clientId: id, username: id, password: Buffer.from(`s-${id}`), clean, will: will(id) });
  expect(connack.returnCode).toBe(0);
  return { client, connack };
}

async function devices(port: number, ids: string[]): Promise<RawClient[]> {
  const out: RawClient[] = [];
  for (let i = 0; i < ids.length; i += 100) out.push(...(await Promise.all(ids.slice(i, i + 100).map(async (id) => (await device(port, id)).client))));
  return out;
}

/** Records the closes finished between consecutive turns of the event loop; `stop` takes the last count. */
function turnProbe(closed: string[]): { perTurn: number[]; stop(): void } {
  const perTurn: number[] = [];
  let last = closed.length;
  let running = true;
  const probe = () => {
    perTurn.push(closed.length - last);
    last = closed.length;
    if (running) setImmediate(probe);
  };
  setImmediate(probe);
  const stop = () => {
    running = false;
    perTurn.push(closed.length - last);
  };
  return { perTurn, stop };
}

describe('mass disconnect', () => {
  it('finishes at most perTurn closes per turn; timers and an alarm run in between; every will goes out and the count ends at 0', async () => {
    const PER_TURN = 20;
    const { port, heard } = await startBroker(PER_TURN);
    const { client: survivor } = await device(port, 'sos-1');
    const ids = Array.from({ length: LEAVING }, (_, i) => `dev-${i}`);
    const leaving = await devices(port, ids);
    expect(broker!.connectedClients).toBe(LEAVING + 1);

    const turns = turnProbe(heard.closed);
    let timerTicksWhileClosing = 0;
    const timer = setInterval(() => {
      if (heard.closed.length > 0 && heard.closed.length < LEAVING) timerTicksWhileClosing++;
    }, 1);
    let closedAtPuback = -1;
    let waitingAtPuback = -1;
    survivor.onPacket = (p: Packet) => {
      if (p.cmd !== 'puback' || (p as IPubackPacket).messageId !== 7) return;
      closedAtPuback = heard.closed.length;
      waitingAtPuback = broker!.closesWaiting;
    };
    // Every device vanishes without DISCONNECT (so each will is due), then the survivor raises an SOS.
    for (const client of leaving) client.destroy();
    const sos = { cmd: 'publish', topic: 'hc/v1/sos-1/event', payload: JSON.stringify({ type: 'sos' }), qos: 1, retain: false, dup: false, messageId: 7 } as Packet;
    survivor.socket.write(mqttPacket.generate(sos));

    await waitFor(() => heard.closed.length === LEAVING && closedAtPuback >= 0, 'every close finished and the SOS acknowledged');
    turns.stop();
    clearInterval(timer);

    expect(Math.max(...turns.perTurn)).toBeLessThanOrEqual(PER_TURN);
    expect(turns.perTurn.reduce((a, b) => a + b, 0)).toBe(LEAVING);
    expect(timerTicksWhileClosing).toBeGreaterThan(0);
    // The alarm was acknowledged while most closes still waited.
    expect(closedAtPuback).toBeLessThan(LEAVING);
    expect(waitingAtPuback).toBeGreaterThan(0);
    // Each leaving device's will was taken in once; the survivor's was not, and it is still connected.
    expect([...heard.wills.keys()].sort()).toEqual([...ids].sort());
    expect([...heard.wills.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(heard.closed).size).toBe(LEAVING);
    expect(broker!.connectedClients).toBe(1);
    expect(survivor.closed).toBe(false);

    survivor.destroy();
    await waitFor(() => broker!.connectedClients === 0, 'the survivor closed too');
    expect(broker!.closesWaiting).toBe(0);
    expect(heard.closed).toHaveLength(LEAVING + 1);
  });

  it('a device that reconnects while its old close still waits is connected, with its session and its old will out once', async () => {
    // One close per turn: the queue is still far from the end when the device is back.
    const { port, heard } = await startBroker(1);
    const others = await devices(port, Array.from({ length: 200 }, (_, i) => `dev-${i}`));
    const back = 'dev-back';
    const cmdTopic = `hc/v1/${back}/cmd`;
    const { client: old } = await device(port, back, false);
    expect(await old.subscribe(cmdTopic, 1)).toEqual([1]);

    for (const client of [...others, old]) client.destroy();
    const { client: renewed, connack } = await device(port, back, false);
    const waitingAtConnack = broker!.closesWaiting;

    expect(connack.sessionPresent).toBe(true);
    expect(waitingAtConnack).toBeGreaterThan(0);
    // The old connection was closed (its will taken in) before the new one opened.
    await waitFor(() => heard.log.filter((e) => e === `open ${back}`).length === 2, 'the new connection ready');
    const reopened = heard.log.lastIndexOf(`open ${back}`);
    expect(heard.log.indexOf(`close ${back}`)).toBeLessThan(reopened);
    expect(heard.log.indexOf(`will ${back}`)).toBeLessThan(reopened);

    const received = (n: number) => renewed.publishes(cmdTopic).length === n;
    await broker!.sendCommand(back, { cmd: 'silence', cmdId: 'c-1' });
    await waitFor(() => received(1), 'the command on the new connection');
    await waitFor(() => broker!.closesWaiting === 0 && heard.closed.length === 201, 'the queue drained');
    // The old close's turn came and went: the new connection is untouched.
    await broker!.sendCommand(back, { cmd: 'silence', cmdId: 'c-2' });
    await waitFor(() => received(2), 'a second command after the drain');
    expect(JSON.parse((renewed.publishes(cmdTopic)[1] as IPublishPacket).payload.toString())).toMatchObject({ cmdId: 'c-2' });
    expect(renewed.closed).toBe(false);
    expect(heard.closed.filter((id) => id === back)).toHaveLength(1);
    expect(heard.wills.get(back)).toBe(1);
    expect(broker!.connectedClients).toBe(1);
  });
});
