/**
 * Gathers what the pure report functions need — durable alerts, the registry's
 * devices and homes, the live device states, the visit rates — and hands it to
 * them. The only part of hub/reports/ that reads services or the clock.
 */
import type { AlertStore } from '../alerts/alert-store.js';
import type { CallbackRecord } from '../callbacks/callback.js';
import type { DeviceStateStore } from '../ingest/device-state.js';
import type { Registry } from '../registry/registry.js';
import { monthRange, monthsOverlapping } from '../visits/months.js';
import type { VisitService } from '../visits/visit-service.js';
import { toCsv } from './csv.js';
import type { DeviceNow, Period } from './figures.js';
import { buildSummary, REPORT_TABLES, type ReportSummary, type ReportTableName } from './summary.js';

export interface ReportServiceDeps {
  alerts: Pick<AlertStore, 'list'>;
  registry: Pick<Registry, 'listDevices' | 'getDevice' | 'getHome'>;
  states: Pick<DeviceStateStore, 'get'>;
  visits: Pick<VisitService, 'rate' | 'currentMonth'>;
  callbacks?: { list(): readonly CallbackRecord[] };
  now: () => number;
  timezone: string;
}

/** At most this many months of visit rates in one report. */
const MAX_VISIT_MONTHS = 24;

export class ReportService {
  constructor(private readonly deps: ReportServiceDeps) {}

  /** The current calendar month in the hub's zone: the period when none is given. */
  defaultPeriod(): Period {
    const { start, end } = monthRange(this.deps.visits.currentMonth(), this.deps.timezone);
    return { from: start, to: end };
  }

  summary(period: Period = this.defaultPeriod()): ReportSummary {
    return buildSummary({
      period,
      now: this.deps.now(),
      timezone: this.deps.timezone,
      alerts: this.deps.alerts.list(),
      deviceKindOf: (id) => this.deps.registry.getDevice(id)?.kind,
      devices: this.devicesInService(),
      visits: monthsOverlapping(period.from, period.to, this.deps.timezone, MAX_VISIT_MONTHS).map((m) => this.deps.visits.rate(m)),
      callbacks: this.deps.callbacks?.list(),
    });
  }

  csv(table: ReportTableName, period: Period = this.defaultPeriod()): string {
    const { header, rows } = REPORT_TABLES[table](this.summary(period));
    return toCsv(header, rows);
  }

  /** Registered, not revoked, in a live home (a home being installed is not in service yet). */
  private devicesInService(): DeviceNow[] {
    const out: DeviceNow[] = [];
    for (const device of this.deps.registry.listDevices()) {
      if (device.revokedAt) continue;
      const home = this.deps.registry.getHome(device.homeId);
      if (!home || home.status !== 'live') continue;
      const state = this.deps.states.get(device.id);
      const online = state?.online ?? null;
      out.push({
        deviceId: device.id,
        kind: device.kind,
        homeId: home.id,
        homeName: home.name,
        address: home.address,
        community: home.community ?? null,
        status: online === true ? 'online' : online === false ? 'offline' : 'unknown',
        lastSeen: state?.lastSeen === undefined ? null : new Date(state.lastSeen).toISOString(),
      });
    }
    return out;
  }
}
