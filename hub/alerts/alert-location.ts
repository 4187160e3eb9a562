/**
 * Keeps each open alert's `location` up to date (issue 13 item 4): remembers
 * every bracelet's last fix (memory only — telemetry, DESIGN.md §6), puts it
 * on an alert when it is raised (`locate`, called by AlertIntake), and while
 * the alert is open writes each newer fix as an `alert.location` line, so
 * REST, the stream and a restarted hub all show the same latest fix.
 *
 * Cheap on the telemetry hot path: one Map lookup per message for homes with
 * no open alert. Lines are throttled per alert (a moved fix at once, the same
 * place at most every REFRESH_MS) so a chatty bracelet cannot fill the journal.
 */
import type { EventBus } from '../core/event-bus.js';
import type { DeviceSignal, HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { Alert } from './alert.js';
import type { AlertStore } from './alert-store.js';
import { fixFromPayload, samePlace, type LocationFix } from './location-fix.js';
import { OpenAlertsByHome } from './open-alerts-by-home.js';

/** A fix of the same place is written again at most this often: enough for a live "age". */
export const REFRESH_MS = 30_000;
/** An older fix is not put on a new alert: a day-old position misleads more than none. */
export const MAX_FIX_AGE_MS = 24 * 3600_000;

interface SeenFix {
  deviceId: string;
  homeId: string;
  receivedAt: number;
  /** Already validated against the bracelet schema by ingest. */
  location: unknown;
}

export interface AlertLocationsDeps {
  bus: EventBus<HubEvents>;
  store: AlertStore;
  registry: {
    getDevice(id: string): { homeId: string; kind: string } | undefined;
    getHome(id: string): { geo?: { lat: number; lon: number } | undefined } | undefined;
  };
  now: () => number;
  log: Logger;
}

export class AlertLocations {
  /**
   * Last fix per device as it came (the validated payload's `location`, the
   * home, the receive time): turned into a LocationFix (ISO time, distance)
   * only when an alert needs it, so the common message costs one Map lookup.
   */
  private readonly fixes = new Map<string, SeenFix>();
  /** Each home's unresolved (durable) alerts. */
  private readonly openByHome = new OpenAlertsByHome();
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: AlertLocationsDeps) {}

  /** After journal replay and before the rules, so a raise sees the fix its own message carried. */
  start(): void {
    const { bus, store } = this.deps;
    for (const alert of store.list({ unresolved: true })) this.openByHome.track(alert);
    this.unsubscribe = [
      bus.on('device.signal', (signal) => this.onSignal(signal)),
      bus.on('alert.raised', (alert) => this.openByHome.track(alert)),
      bus.on('alert.updated', (alert) => this.openByHome.track(alert)),
    ];
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }

  /**
   * The fix to put on a new alert: the raising device's own, else the
   * freshest of the home's bracelets (a door sensor raised a night exit: where
   * is the wearer now?). Only fixes reported in this home and under a day old.
   */
  locate(homeId: string, deviceId: string | undefined): LocationFix | undefined {
    const oldest = this.deps.now() - MAX_FIX_AGE_MS;
    const own = deviceId === undefined ? undefined : this.fixes.get(deviceId);
    if (own && own.homeId === homeId && own.receivedAt >= oldest) return this.toFix(own);
    let best: SeenFix | undefined;
    for (const seen of this.fixes.values()) {
      if (seen.homeId !== homeId || seen.receivedAt < oldest) continue;
      if (!best || seen.receivedAt > best.receivedAt) best = seen;
    }
    return best && this.toFix(best);
  }

  private onSignal(signal: DeviceSignal): void {
    const location = (signal.payload as { location?: unknown }).location;
    if (location === undefined) return;
    let seen = this.fixes.get(signal.deviceId);
    if (seen) {
      // Updated in place: no allocation per message on the telemetry hot path.
      seen.homeId = signal.homeId;
      seen.receivedAt = signal.receivedAt;
      seen.location = location;
    } else this.fixes.set(signal.deviceId, (seen = { deviceId: signal.deviceId, homeId: signal.homeId, receivedAt: signal.receivedAt, location }));
    const open = this.openByHome.of(signal.homeId);
    if (!open) return;
    const fix = this.toFix(seen);
    if (!fix) return;
    for (const alertId of open) {
      const alert = this.deps.store.get(alertId);
      if (alert && this.follows(alert, fix) && this.isNews(alert, fix, signal.receivedAt)) {
        // Telemetry may be lost in a failover (DESIGN.md §8): the device's PUBACK does not wait for this line.
        this.deps.store.record('alert.location', { alertId, location: fix }).durable.catch(() => undefined);
      }
    }
  }

  /**
   * Which bracelet an alert follows: the one whose fix it already has, else
   * the raising device, else (a door sensor's alert) any bracelet of the home.
   */
  private follows(alert: Alert, fix: LocationFix): boolean {
    if (alert.location) return alert.location.deviceId === fix.deviceId;
    if (alert.deviceId === fix.deviceId) return true;
    return !alert.deviceId || this.deps.registry.getDevice(alert.deviceId)?.kind !== 'bracelet';
  }

  private isNews(alert: Alert, fix: LocationFix, receivedAt: number): boolean {
    const last = alert.location;
    if (!last || !samePlace(last, fix)) return true;
    return receivedAt - Date.parse(last.at) >= REFRESH_MS;
  }

  private toFix(seen: SeenFix): LocationFix | undefined {
    const at = new Date(seen.receivedAt).toISOString();
    return fixFromPayload(seen.deviceId, { location: seen.location }, at, this.deps.registry.getHome(seen.homeId)?.geo);
  }
}
