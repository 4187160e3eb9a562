/**
 * The console's live copy of every unresolved alert and every device's
 * state, fed by the stream (snapshot, then deltas). Pages read it; nothing
 * here talks to the network.
 */
import { SEVERITY_RANK } from '../api/enums.js';
import type { AlertSummary, LiveDevice } from '../api/types.js';
import { createStore } from '../util/store.js';

/** Most urgent first, then oldest first: the hub's own queue order. */
export function queueOrder(a: AlertSummary, b: AlertSummary): number {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.raisedAt.localeCompare(b.raisedAt) || a.id.localeCompare(b.id);
}

export class AlertBook {
  /** Bumped on every change; components subscribe to it. */
  readonly version = createStore(0);
  /** Set on each snapshot: a full replacement, not a delta. */
  loaded = false;
  /** performance.now() of the last change, for the queue's render timing. */
  lastChangeAt = 0;
  private readonly alerts = new Map<string, AlertSummary>();
  private readonly devices = new Map<string, LiveDevice>();
  private readonly raisedListeners = new Set<(alert: AlertSummary) => void>();
  private sortedCache: { version: number; list: AlertSummary[] } | undefined;

  /** Alerts first raised while this console is open (not those in a snapshot). */
  onRaised(listener: (alert: AlertSummary) => void): () => void {
    this.raisedListeners.add(listener);
    return () => this.raisedListeners.delete(listener);
  }

  applySnapshot(alerts: readonly AlertSummary[], devices: readonly LiveDevice[]): void {
    this.alerts.clear();
    for (const alert of alerts) if (alert.status !== 'resolved') this.alerts.set(alert.id, alert);
    this.setDevices(devices);
    this.loaded = true;
    this.changed();
  }

  /** A resumed stream: the alerts came as the events missed; the devices' state is sent as it is now. */
  applyDevices(devices: readonly LiveDevice[]): void {
    this.setDevices(devices);
    this.changed();
  }

  private setDevices(devices: readonly LiveDevice[]): void {
    this.devices.clear();
    for (const device of devices) this.devices.set(device.deviceId, device);
  }

  applyAlert(alert: AlertSummary, raised: boolean): void {
    const known = this.alerts.get(alert.id);
    // A late or replayed delta must not roll an alert back to an older state.
    if (known && known.updatedAt > alert.updatedAt) return;
    if (alert.status === 'resolved') this.alerts.delete(alert.id);
    else this.alerts.set(alert.id, alert);
    this.changed();
    if (raised && !known) for (const listener of [...this.raisedListeners]) listener(alert);
  }

  applyDeviceStatus(deviceId: string, homeId: string, online: boolean, at: string): void {
    const known = this.devices.get(deviceId);
    const seen = Date.parse(at);
    this.devices.set(deviceId, {
      deviceId,
      homeId,
      kind: known?.kind,
      online,
      lastSeen: online ? Math.max(seen, known?.lastSeen ?? 0) : (known?.lastSeen ?? null),
      battery: known?.battery ?? null,
    });
    this.changed();
  }

  get(id: string): AlertSummary | undefined {
    return this.alerts.get(id);
  }

  device(id: string): LiveDevice | undefined {
    return this.devices.get(id);
  }

  devicesOf(homeId: string): LiveDevice[] {
    return [...this.devices.values()].filter((d) => d.homeId === homeId);
  }

  allDevices(): LiveDevice[] {
    return [...this.devices.values()];
  }

  /** Unresolved alerts in queue order; sorted once per change. */
  sorted(): AlertSummary[] {
    const version = this.version.get();
    if (this.sortedCache?.version !== version) this.sortedCache = { version, list: [...this.alerts.values()].sort(queueOrder) };
    return this.sortedCache.list;
  }

  clear(): void {
    this.alerts.clear();
    this.devices.clear();
    this.loaded = false;
    this.changed();
  }

  private changed(): void {
    this.lastChangeAt = performance.now();
    this.version.set(this.version.get() + 1);
  }
}
