/** The events that flow through the hub's bus, device → ingest → rules → alerts → people. */
import type { DeviceEventPayload, TelemetryPayload } from '../../devices/catalog.js';
import type { Alert } from '../alerts/alert.js';
import type { CommandView } from '../commands/command-book.js';
import type { PresenceEntry } from '../shifts/presence.js';

interface SignalBase {
  deviceId: string;
  deviceKind: string;
  homeId: string;
  /** Hub receive time, epoch ms (device `ts` may be missing or wrong). */
  receivedAt: number;
  /**
   * The durable writes this message caused (alert lines, test records,
   * commissioning ticks): listeners that journal something because of the
   * signal push the line's durability here, and ingest hands them to the
   * broker, whose PUBACK waits for them (DESIGN.md §6). Absent on signals
   * built outside ingest (rule tests).
   */
  writes?: Promise<unknown>[];
}

export interface DeviceEventSignal extends SignalBase {
  channel: 'event';
  type: string;
  payload: DeviceEventPayload;
  /** sos, fall, smoke, gas: journaled before the PUBACK. */
  alarm: boolean;
}

export interface TelemetrySignal extends SignalBase {
  channel: 'telemetry';
  payload: TelemetryPayload;
}

export type DeviceSignal = DeviceEventSignal | TelemetrySignal;

export interface DeviceStatusChange {
  deviceId: string;
  homeId: string;
  online: boolean;
  at: number;
  /** What told us: a message, the watchdog (3 × heartbeat of silence) or the device's status/will. */
  reason: 'message' | 'watchdog' | 'status_topic';
  /**
   * Set when the change was decided by the home's owner on another node and
   * relayed here (hub/cluster/device-state-relay.ts): this node shows it
   * (consoles, API) but never acts on it; absent for this node's own verdicts.
   */
  relayedFrom?: string;
}

/**
 * Another node's live state of a device was applied to this node's
 * DeviceStateStore (hub/cluster/device-state-relay.ts): what a console on this
 * node may want to refresh (battery, last values, readings). Never a signal
 * for the rules: `device.signal` is not re-emitted for relayed readings.
 */
export interface DeviceStateRelayed {
  deviceId: string;
  homeId: string;
  /** The owner node that published it. */
  from: string;
  /** Readings added to the device's ring by this message. */
  readings: number;
}

/** An event from a device in a home that is still being installed: recorded, never a real alert. */
export interface TestEventRecord {
  homeId: string;
  deviceId: string;
  eventType: string;
  /** The alert kind it would have raised in a live home. */
  alertKind: string;
  at: string;
  seq?: number | undefined;
  ts?: number | undefined;
}

/** A device's MQTT session opened (after CONNACK 0) or closed. */
export interface DeviceConnection {
  deviceId: string;
  connected: boolean;
  at: number;
}

/** A device confirmed a command with its `cmd_ack` event (issue 10); never a rule signal. */
export interface CommandAck {
  deviceId: string;
  homeId: string;
  cmdId: string;
  at: number;
}

export type HubEvents = {
  'device.connection': DeviceConnection;
  /** A commissioning check passed for a device of a home being installed. */
  'commissioning.tick': { homeId: string; deviceId: string; check: string; at: string };
  'device.signal': DeviceSignal;
  'device.status': DeviceStatusChange;
  'device.state_relayed': DeviceStateRelayed;
  'device.test_event': TestEventRecord;
  'device.cmd_ack': CommandAck;
  /**
   * A command's state changed (queued, delivered, confirmed, expired). Emitted
   * when its journal line is appended, not once durable, so that what follows
   * from it (the alert's own line) joins the same fsync batch.
   */
  'command.changed': CommandView;
  'alert.raised': Alert;
  'alert.updated': Alert;
  /** Every durable alert change, named (`acknowledged`, `escalated`, …), for whoever reacts to it. */
  'alert.transition': { alert: Alert; change: string; actor: string | undefined };
  /**
   * The synthetic heartbeat's stream hop (issue 12 item 7, hub/ops/pipeline-probe.ts):
   * on the bus that feeds the WebSocket fan-out, never forwarded to a client.
   */
  'pipeline.heartbeat': { nodeId: string; beat: number };
  /** Someone at the console went online, away or offline (issue 13 item 7): the whole list now. */
  'presence.changed': PresenceEntry[];
};
