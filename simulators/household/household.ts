/**
 * One simulated home: its four devices as real MQTT clients (SimulatedDevice),
 * the resident whose body the bracelet reads, and `perform(action)` to make
 * one thing happen. It keeps no timers of its own: whoever runs the actions
 * decides how fast simulated time goes.
 */
import { EventEmitter } from 'node:events';
import { findDeviceKind } from '../../devices/catalog.js';
import type { Random } from '../kinds/index.js';
import { SimulatedDevice, type BrokerAddress } from '../simulated-device.js';
import { ROLE_KIND, ROLES, type Action, type Role } from './actions.js';
import { advanceResident, braceletReading, newResident, type Activity, type ResidentState } from './resident.js';

export interface DeviceCredentials {
  deviceId: string;
  secret: string;
}

export interface HouseholdOptions {
  url: string;
  /** A cluster's brokers, tried in turn after a lost connection (SimulatedDeviceOptions.servers); overrides url. */
  servers?: readonly BrokerAddress[];
  devices: Partial<Record<Role, DeviceCredentials>>;
  /** The simulated clock: devices put it in `ts`, the resident's body follows it. */
  now: () => number;
  utcOffsetMin: number;
  random?: Random;
  /** Battery at start, % (low-battery scenarios start just above the threshold). */
  battery?: Partial<Record<Role, number>>;
  activity?: Activity;
  /** Devices reconnect after a network error (default true; tests turn it off). */
  reconnect?: boolean;
}

export interface HouseholdEvents {
  action: [Action];
  error: [Error, Action];
}

export class Household extends EventEmitter<HouseholdEvents> {
  readonly devices = new Map<Role, SimulatedDevice>();
  resident: ResidentState;
  private readonly random: Random;
  /**
   * A sensor keeps reading what the room does: after a scenario's "LEL 26 %" the gas alarm's
   * next heartbeat says 26 %, not the clean-kitchen 0.3 % of its usual behaviour. (The bracelet
   * is different: the resident's body drives its readings.)
   */
  private readonly sensed = new Map<Role, Record<string, unknown>>();

  constructor(private readonly options: HouseholdOptions) {
    super();
    this.random = options.random ?? Math.random;
    this.resident = newResident(options.now(), this.random, options.utcOffsetMin, options.activity);
    for (const role of ROLES) {
      const creds = options.devices[role];
      const kind = findDeviceKind(ROLE_KIND[role]);
      if (!creds || !kind) continue;
      this.devices.set(
        role,
        new SimulatedDevice({
          url: options.url,
          ...(options.servers ? { servers: options.servers } : {}),
          deviceId: creds.deviceId,
          secret: creds.secret,
          kind,
          now: options.now,
          random: this.random,
          utcOffsetMin: options.utcOffsetMin,
          // The household decides when each heartbeat happens, in simulated time.
          heartbeats: false,
          // QoS 1: when perform() resolves, the hub has the reading (PUBACK follows ingest).
          telemetryQos: 1,
          ...(options.battery?.[role] !== undefined ? { batteryStart: options.battery[role] } : {}),
          ...(options.reconnect === false ? { reconnectPeriodMs: 0 } : {}),
        }),
      );
    }
  }

  /** The room is back to normal (the fire is out, the window open): sensors read as usual again. */
  clearReadings(): void {
    this.sensed.clear();
  }

  async start(): Promise<void> {
    for (const device of this.devices.values()) device.start();
    await Promise.all([...this.devices.values()].map((d) => d.waitForConnect()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.devices.values()].map((d) => d.stop()));
  }

  async perform(action: Action): Promise<void> {
    this.emit('action', action);
    try {
      await this.apply(action);
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)), action);
    }
  }

  private async apply(action: Action): Promise<void> {
    if (action.kind === 'note') return;
    if (action.kind === 'resident') {
      this.resident = { ...advanceResident(this.resident, this.options.now(), this.random), activity: action.activity };
      return;
    }
    const device = this.devices.get(action.role);
    if (!device) return;
    if (action.kind === 'power') {
      if (!action.on) return device.kill();
      device.start();
      return device.waitForConnect();
    }
    // A device without power sends nothing; its readings are simply missing.
    if (!device.connected) return;
    switch (action.kind) {
      case 'heartbeat':
        if (action.role !== 'bracelet') return device.heartbeat(this.sensed.get(action.role));
        this.resident = advanceResident(this.resident, this.options.now(), this.random);
        return device.heartbeat(braceletReading(this.resident));
      case 'event':
        await device.sendEvent(action.type, action.fields);
        return;
      case 'telemetry':
        if (action.role !== 'bracelet') this.sensed.set(action.role, { ...this.sensed.get(action.role), ...action.fields });
        await device.sendTelemetry(action.fields);
        return;
    }
  }
}
