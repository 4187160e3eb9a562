/**
 * The commissioning checklist of a home being installed (issue 5): for each
 * device, "connected", "heartbeat seen" and one tick per test event its kind
 * requires (SOS and a fall test on the bracelet, the test button on smoke and
 * gas alarms, open and close on the door), with battery and signal shown.
 * Ticks happen only while the home is `installing`; each first tick is one
 * journal line, so the checklist survives a restart.
 */
import { findDeviceKind } from '../../devices/catalog.js';
import type { JournalWriter } from '../alerts/alert-store.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { DeviceSignal, HubEvents } from '../core/hub-events.js';
import type { DeviceStateStore } from '../ingest/device-state.js';
import type { DeviceRecord, HomeRecord } from '../registry/records.js';
import type { JournalEntry } from '../storage/journal-format.js';
import { rejected } from '../core/rejected.js';

export interface CommissioningTick {
  homeId: string;
  deviceId: string;
  check: string;
  at: string;
}

export interface DeviceChecklist {
  deviceId: string;
  kind: string;
  serial: string;
  checks: { id: string; done: boolean; at: string | null }[];
  passed: boolean;
  battery: number | null;
  rssi: number | null;
  lastMessageAt: string | null;
}

export interface HomeChecklist {
  homeId: string;
  status: HomeRecord['status'];
  devices: DeviceChecklist[];
  allPassed: boolean;
}

/** The checks a device of this kind must pass, in the order an installer does them. */
export function checksFor(kind: string): string[] {
  return ['connected', 'heartbeat', ...(findDeviceKind(kind)?.commissioningEvents ?? []).map((e) => `event:${e}`)];
}

export interface CommissioningDeps {
  registry: { getHome(id: string): HomeRecord | undefined; requireHome(id: string): HomeRecord; getDevice(id: string): DeviceRecord | undefined; listDevices(homeId: string): DeviceRecord[] };
  journal: JournalWriter;
  bus: EventBus<HubEvents>;
  states: DeviceStateStore;
  clock: Clock;
}

export class Commissioning {
  /** deviceId → check → ISO time of its first tick */
  private readonly ticks = new Map<string, Map<string, string>>();
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: CommissioningDeps) {}

  /** Replays one `commissioning.tick` journal line. */
  replay(entry: JournalEntry): void {
    if (entry.type !== 'commissioning.tick') return;
    const tick = entry.data as CommissioningTick;
    this.remember(tick.deviceId, tick.check, tick.at);
  }

  start(): void {
    this.unsubscribe = [
      this.deps.bus.on('device.connection', (c) => {
        if (c.connected) this.tick(c.deviceId, 'connected');
      }),
      this.deps.bus.on('device.signal', (signal) => this.onSignal(signal)),
    ];
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }

  checklist(homeId: string): HomeChecklist {
    const home = this.deps.registry.requireHome(homeId);
    const devices = this.deps.registry.listDevices(homeId).filter((d) => !d.revokedAt).map((d) => this.deviceChecklist(d));
    return { homeId, status: home.status, devices, allPassed: devices.length > 0 && devices.every((d) => d.passed) };
  }

  private deviceChecklist(device: DeviceRecord): DeviceChecklist {
    const done = this.ticks.get(device.id);
    const checks = checksFor(device.kind).map((id) => ({ id, done: done?.has(id) ?? false, at: done?.get(id) ?? null }));
    const state = this.deps.states.view(device.id);
    const rssi = state?.lastValues.rssi;
    return {
      deviceId: device.id,
      kind: device.kind,
      serial: device.serial,
      checks,
      passed: checks.every((c) => c.done),
      battery: state?.battery ?? null,
      rssi: typeof rssi === 'number' ? rssi : null,
      lastMessageAt: state?.lastSeen ? new Date(state.lastSeen).toISOString() : null,
    };
  }

  private onSignal(signal: DeviceSignal): void {
    // Any message proves the session works, even if the CONNACK happened before the hub started watching.
    const checks = ['connected', signal.channel === 'telemetry' ? 'heartbeat' : `event:${signal.type}`];
    // The device's PUBACK waits for its ticks: a press the installer saw acknowledged is on the checklist.
    for (const check of checks) {
      const durable = this.tickRefusedAsRejection(signal.deviceId, check);
      if (durable) signal.writes?.push(durable);
    }
  }

  /**
   * A tick whose line is refused at append (a cluster node whose lease on the
   * home ran out a moment ago: NotOwnedHereError) is the message's rejected
   * write, not an error lost on the bus: the device gets no PUBACK and sends
   * the message again, to the home's owner.
   */
  private tickRefusedAsRejection(deviceId: string, check: string): Promise<void> | undefined {
    try {
      return this.tick(deviceId, check);
    } catch (err) {
      return rejected(err); // a signal built outside ingest has nobody waiting on its writes
    }
  }

  private tick(deviceId: string, check: string): Promise<void> | undefined {
    const device = this.deps.registry.getDevice(deviceId);
    const home = device && this.deps.registry.getHome(device.homeId);
    if (!device || !home || home.status !== 'installing') return undefined;
    if (!checksFor(device.kind).includes(check) || this.ticks.get(deviceId)?.has(check)) return undefined;
    const tick: CommissioningTick = { homeId: home.id, deviceId, check, at: new Date(this.deps.clock.now()).toISOString() };
    const { durable } = this.deps.journal.append('commissioning.tick', tick, home.id);
    this.remember(deviceId, check, tick.at); // once the journal took it: a refused tick is not done
    durable.then(
      () => this.deps.bus.emit('commissioning.tick', tick),
      () => undefined, // the journal reports its own failure loudly
    );
    return durable;
  }

  private remember(deviceId: string, check: string, at: string): void {
    let checks = this.ticks.get(deviceId);
    if (!checks) this.ticks.set(deviceId, (checks = new Map()));
    if (!checks.has(check)) checks.set(check, at);
  }
}
