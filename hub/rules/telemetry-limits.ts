/**
 * The telemetry values at which a rule raises an alert, per device, for the
 * overload triage (hub/ingest/load-shedder.ts `mayCarryAlarm`), which checks
 * them on the raw bytes before it sheds a reading. Shedding such a reading
 * would lose the alert, not delay it: `heart_rate` needs several out-of-range
 * readings in a row, and under overload most routine telemetry is shed
 * (docs/PERFORMANCE.md, "Readings that raise alerts are never shed").
 *
 * - heart rate: outside the wearer's range (`heart_rate`, per resident);
 * - battery: below the home's threshold (`low_battery`).
 *
 * The limits are the rules' own params, resolved as the engine resolves them
 * (engine.ts `storedParams`), and kept per device until one of the records
 * they came from is replaced (the registry replaces a record on every change).
 */
import type { DeviceRecord, HomeRecord, ResidentRecord } from '../registry/records.js';
import { heartRateRule } from './catalog/heart-rate.js';
import { lowBatteryRule } from './catalog/low-battery.js';
import type { AnyRule } from './define-rule.js';
import { residentSeen, residentsJudged, storedParams, type RulesEngineDeps } from './engine.js';

export interface TelemetryLimits {
  /** Normal heart rate of the device's wearer(s), bpm, inclusive; absent: the device is no bracelet. */
  heartRate?: { min: number; max: number };
  /** A battery reading below this, in %, raises `low_battery`. */
  batteryBelow: number;
}

type LimitsRegistry = Pick<RulesEngineDeps['registry'], 'getHome' | 'getResident' | 'residentIds'>;

interface Cached {
  device: DeviceRecord;
  home: HomeRecord;
  residents: readonly (ResidentRecord | undefined)[];
  limits: TelemetryLimits;
}

export class TelemetryLimitsCache {
  private readonly byDevice = new Map<string, Cached>();

  constructor(private readonly registry: LimitsRegistry) {}

  /** The limits for this device's readings; undefined when its home is not known here. */
  of(device: DeviceRecord): TelemetryLimits | undefined {
    const home = this.registry.getHome(device.homeId);
    if (!home) return undefined;
    const residents = this.residentsOf(device, home);
    const cached = this.byDevice.get(device.id);
    if (cached && cached.device === device && cached.home === home && sameRecords(cached.residents, residents)) return cached.limits;
    const limits = this.compute(device, home, residents);
    this.byDevice.set(device.id, { device, home, residents, limits });
    return limits;
  }

  /** The resident records the two rules see: the wearers judged (heart rate), then the home rule's resident (battery). */
  private residentsOf(device: DeviceRecord, home: HomeRecord): (ResidentRecord | undefined)[] {
    const judged = device.kind === 'bracelet' ? residentsJudged(device, this.registry.residentIds(home.id)) : [];
    const wearers = judged.length === 0 ? [residentSeen(this.registry, home, undefined)] : judged.map((id) => residentSeen(this.registry, home, id));
    return [...wearers, residentSeen(this.registry, home, undefined)];
  }

  private compute(device: DeviceRecord, home: HomeRecord, residents: readonly (ResidentRecord | undefined)[]): TelemetryLimits {
    const battery = paramsOrDefaults(lowBatteryRule, home, residents.at(-1)) as { belowPercent: number };
    const limits: TelemetryLimits = { batteryBelow: battery.belowPercent };
    if (device.kind !== 'bracelet') return limits;
    // A couple's unassigned bracelet is judged for one resident; more than one range would be the union of
    // their normal ranges' complements: the narrowest normal range keeps every reading any of them would count.
    const ranges = residents.slice(0, -1).map((resident) => paramsOrDefaults(heartRateRule, home, resident) as { min: number; max: number });
    limits.heartRate = { min: Math.max(...ranges.map((r) => r.min)), max: Math.min(...ranges.map((r) => r.max)) };
    return limits;
  }
}

/** As the engine runs the rule: a bad stored override means the defaults. */
function paramsOrDefaults(rule: AnyRule, home: HomeRecord, resident: ResidentRecord | undefined): unknown {
  const parsed = storedParams(rule, home, resident);
  return parsed.success ? parsed.data : rule.params.parse({});
}

function sameRecords(a: readonly (ResidentRecord | undefined)[], b: readonly (ResidentRecord | undefined)[]): boolean {
  return a.length === b.length && a.every((record, i) => record === b[i]);
}
