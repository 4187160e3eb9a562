/**
 * The command relay's rules (hub/cluster/command-relay.ts), node against
 * node on one in-process mqemitter standing in for Redis (the Redis path
 * itself is tests/cluster-mqtt.test.ts): a remote connection's events reach
 * the outbox under one token; an old connection's late announcement cannot
 * hide the device's live local connection; a starting node learns who is
 * subscribed; a node silent for three heartbeats loses its devices; `gone`
 * crosses the bus only for a connection announced subscribed; junk on the
 * bus is dropped.
 */
import mqemitter from 'mqemitter';
import { describe, expect, it } from 'vitest';
import { CommandRelay, RELAY_TOPIC } from '../hub/cluster/command-relay.js';
import type { CommandLinkEvents } from '../hub/broker/mqtt-broker.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { waitFor } from './helpers/wait-for.js';

/** An outbox that records what it is told, with the session it is told it for. */
class RecordingOutbox implements CommandLinkEvents {
  readonly calls: string[] = [];
  current = new Map<string, object>();
  subscribed(deviceId: string, qos: number, session: object): void {
    this.calls.push(`subscribed ${deviceId} q${qos}`);
    this.current.set(deviceId, session);
  }
  acked(deviceId: string): void {
    this.calls.push(`acked ${deviceId}`);
  }
  gone(deviceId: string, session: object): void {
    this.calls.push(`gone ${deviceId}`);
    if (this.current.get(deviceId) === session) this.current.delete(deviceId);
  }
}

function node(bus: ReturnType<typeof mqemitter>, nodeId: string, heartbeatIntervalMs = 60_000) {
  const outbox = new RecordingOutbox();
  const events = new EventBus<HubEvents>(silentLogger());
  const disconnected: string[] = [];
  const relay = new CommandRelay({ nodeId, outbox, bus: events, disconnectLocal: (id) => (disconnected.push(id), true), heartbeatIntervalMs, log: silentLogger() });
  relay.start(bus);
  return { relay, outbox, events, disconnected };
}

/**
 * Lets the bus deliver everything emitted so far: mqemitter delivers on the
 * microtask and nextTick queues, which have all run by the next setImmediate —
 * a point in the event loop, not a guess at a duration.
 */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('command relay', () => {
  it("tells node b's outbox of a device subscribed, PUBACKing and leaving on node a, and forwards its cmd_ack once", async () => {
    const bus = mqemitter();
    const a = node(bus, 'a');
    const b = node(bus, 'b');
    const session = {};
    a.relay.subscribed('dev1', 1, session);
    a.relay.acked('dev1', session);
    const acks: string[] = [];
    b.events.on('device.cmd_ack', (ack) => acks.push(ack.cmdId));
    a.events.emit('device.cmd_ack', { deviceId: 'dev1', homeId: 'h1', cmdId: 'cmd-1', at: 1 });
    await settle();
    expect(b.outbox.calls).toEqual(['subscribed dev1 q1', 'acked dev1']);
    expect(b.outbox.current.has('dev1')).toBe(true);
    expect(acks).toEqual(['cmd-1']); // and not echoed back and forth
    expect(a.outbox.calls).toEqual(['subscribed dev1 q1', 'acked dev1']); // a's own outbox, with a's own session

    a.relay.gone('dev1', session);
    await settle();
    expect(b.outbox.current.has('dev1')).toBe(false);
  });

  it("goes back to the device's live local connection when an old remote connection's announcement arrives late", async () => {
    const bus = mqemitter();
    const b = node(bus, 'b');
    const local = {};
    b.relay.subscribed('dev1', 1, local); // the device is connected to b now
    // …and a's announcement of its previous connection arrives only then, followed by its close.
    bus.emit({ topic: RELAY_TOPIC, relay: { kind: 'subscribed', node: 'a', deviceId: 'dev1', conn: 'x-1', qos: 1 } });
    await settle();
    expect(b.outbox.current.get('dev1')).not.toBe(local);
    bus.emit({ topic: RELAY_TOPIC, relay: { kind: 'gone', node: 'a', deviceId: 'dev1', conn: 'x-1' } });
    await settle();
    expect(b.outbox.current.get('dev1')).toBe(local);
  });

  it('re-announces its subscribed devices to a node that starts later, once', async () => {
    const bus = mqemitter();
    const a = node(bus, 'a');
    a.relay.subscribed('dev1', 1, {});
    await settle();
    const late = node(bus, 'late');
    await settle();
    expect(late.outbox.calls).toEqual(['subscribed dev1 q1']);
    node(bus, 'later'); // a's second re-announcement is the same connection: late's outbox is not reset
    await settle();
    expect(late.outbox.calls).toEqual(['subscribed dev1 q1']);
  });

  it('relays `gone` only for a connection it announced subscribed, once per subscription; its own outbox hears every one', async () => {
    const bus = mqemitter();
    const a = node(bus, 'a');
    const b = node(bus, 'b');
    await settle(); // the starts' `sync`s
    const relayed: string[] = [];
    bus.on(RELAY_TOPIC, (message, done) => {
      const relay = message['relay'] as { kind: string; deviceId?: string };
      relayed.push(`${relay.kind} ${relay.deviceId}`);
      done();
    });
    const never = {};
    const once = {};
    a.relay.gone('dev0', never); // connected and closed without subscribing: no node can hold a link to it
    a.relay.subscribed('dev1', 1, once);
    a.relay.gone('dev1', once); // unsubscribed…
    a.relay.gone('dev1', once); // …then closed
    a.relay.subscribed('dev1', 1, once); // subscribed again on the same connection
    await settle();
    expect(b.relay.remoteLinks()).toBe(1);
    a.relay.gone('dev1', once);
    await settle();

    expect(relayed).toEqual(['subscribed dev1', 'gone dev1', 'subscribed dev1', 'gone dev1']);
    expect(b.relay.remoteLinks()).toBe(0);
    expect(b.outbox.current.has('dev1')).toBe(false);
    expect(a.outbox.calls.filter((c) => c.startsWith('gone'))).toEqual(['gone dev0', 'gone dev1', 'gone dev1', 'gone dev1']);
    // A node starting now is told of nothing: the link that was gone is not re-announced.
    const late = node(bus, 'late');
    await settle();
    expect(late.outbox.calls).toEqual([]);
  });

  it('forgets the devices of a node silent for three heartbeats', async () => {
    const bus = mqemitter();
    const b = node(bus, 'b', 20);
    bus.emit({ topic: RELAY_TOPIC, relay: { kind: 'subscribed', node: 'a', deviceId: 'dev1', conn: 'x-1', qos: 1 } });
    await waitFor(() => b.outbox.current.has('dev1'), 'the remote link');
    await waitFor(() => !b.outbox.current.has('dev1'), 'node a declared dead', 5_000);
    b.relay.stop();
  });

  it('closes a revoked device on every node, and drops malformed messages without acting on them', async () => {
    const bus = mqemitter();
    const a = node(bus, 'a');
    const b = node(bus, 'b');
    expect(b.relay.disconnect('dev1')).toBe(true);
    for (const junk of [undefined, 'text', { kind: 'disconnect' }, { kind: 'subscribed', node: 'x', deviceId: 'd', conn: 'c', qos: 7 }, { kind: 'nope', node: 'x' }]) {
      bus.emit({ topic: RELAY_TOPIC, relay: junk });
    }
    await settle();
    expect(a.disconnected).toEqual(['dev1']);
    expect(b.disconnected).toEqual(['dev1']);
    expect(a.outbox.calls).toEqual([]);
  });
});
