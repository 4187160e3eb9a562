/**
 * The telemetry values at which a rule raises an alert, per device, for the
 * overload triage (hub/ingest/load-shedder.ts `mayCarryAlarm`), which checks
 * them on the raw bytes before it sheds a reading. Shedding such a reading
 * would lose the alert, not delay it: `heart_rate` needs several out-of-range
 * readings in a row, and under overload most routine telemetry is shed
 * (docs/ARCHITECTURE.md, overload).
 *
 * - heart rate: outside the wearer's range (`heart_rate`, per resident);
 * - battery: below the home's threshold (`low_battery`).
 *
 * The limits are the rules' own params, resolved as the engine resolves them
 * (engine.ts `residentsJudged`, `residentSeen`, `storedParams`), and kept per
 * device until one of the records they came from is replaced (the registry
 * replaces a record on every change). It runs per shed message: while the
 * registry has not changed (its `generation`), a hit is one map lookup and
 * no allocation; after a change, the records are looked up again (four
 * more lookups) and the limits made again only if one of them was replaced.
 * Map lookups were 8 % of an overloaded hub's CPU, half of them here
 * (docs/PERFORMANCE.md).
 */
import type { DeviceRecord, HomeRecord, ResidentRecord } from '../registry/records.js';
import { heartRateRule } from './catalog/heart-rate.js';
import { lowBatteryRule } from './catalog/low-battery.js';
import type { z } from 'zod';
import { residentSeen, residentsJudged, storedParams, type RulesEngineDeps } from './engine.js';

export interface TelemetryLimits {
  /** Normal heart rate of the device's wearer, bpm, inclusive; absent: the device is no bracelet. */
  heartRate?: { min: number; max: number };
  /** A battery reading below this, in %, raises `low_battery`. */
  batteryBelow: number;
}

type LimitsRegistry = Pick<RulesEngineDeps['registry'], 'getHome' | 'getResident' | 'residentIds'> & { readonly generation: number };

interface Cached {
  /** The registry's generation when these records were last found current. */
  generation: number;
  device: DeviceRecord;
  home: HomeRecord;
  /** Whom `heart_rate` judges this bracelet for (one resident: a personal device's wearer). */
  wearer: ResidentRecord | undefined;
  /** Whom the home rule `low_battery` sees: the resident of a home of one. */
  homeResident: ResidentRecord | undefined;
  limits: TelemetryLimits;
}

export class TelemetryLimitsCache {
  private readonly byDevice = new Map<string, Cached>();

  constructor(private readonly registry: LimitsRegistry) {}

  /** The limits for this device's readings; undefined when its home is not known here. */
  of(device: DeviceRecord): TelemetryLimits | undefined {
    const { generation } = this.registry;
    const cached = this.byDevice.get(device.id);
    if (cached && cached.generation === generation && cached.device === device) return cached.limits;
    const home = this.registry.getHome(device.homeId);
    if (!home) return undefined;
    const wearer = device.kind === 'bracelet' ? residentSeen(this.registry, home, residentsJudged(device, this.registry.residentIds(home.id))[0]) : undefined;
    const homeResident = residentSeen(this.registry, home, undefined);
    if (cached && cached.device === device && cached.home === home && cached.wearer === wearer && cached.homeResident === homeResident) {
      cached.generation = generation;
      return cached.limits;
    }
    const limits: TelemetryLimits = { batteryBelow: paramsOrDefaults(lowBatteryRule, home, homeResident).belowPercent };
    if (device.kind === 'bracelet') {
      const { min, max } = paramsOrDefaults(heartRateRule, home, wearer);
      limits.heartRate = { min, max };
    }
    this.byDevice.set(device.id, { generation, device, home, wearer, homeResident, limits });
    return limits;
  }
}

/** As the engine runs the rule: a bad stored override means the defaults. */
function paramsOrDefaults<P extends z.ZodObject>(rule: { id: string; params: P }, home: HomeRecord, resident: ResidentRecord | undefined): z.output<P> {
  const parsed = storedParams(rule, home, resident);
  return parsed.success ? parsed.data : rule.params.parse({});
}
