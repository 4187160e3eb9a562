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
 * (engine.ts `residentsJudged`, `residentSeen`, `storedParams`, whose parse is
 * kept per record), and kept per device while the registry has not changed
 * (its `generation`): it runs per shed message, and a hit is one map lookup
 * and no allocation. After any registry change a device's limits are made
 * again on its next shed message, from the records as they are then. Map
 * lookups were 8 % of an overloaded hub's CPU, half of them here
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
  /** The registry's generation when these limits were made. */
  generation: number;
  device: DeviceRecord;
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
    const homeResident = residentSeen(this.registry, home, undefined);
    const limits: TelemetryLimits = { batteryBelow: paramsOrDefaults(lowBatteryRule, home, homeResident).belowPercent };
    if (device.kind === 'bracelet') {
      const wearer = residentSeen(this.registry, home, residentsJudged(device, this.registry.residentIds(home.id))[0]);
      const { min, max } = paramsOrDefaults(heartRateRule, home, wearer);
      limits.heartRate = { min, max };
    }
    this.byDevice.set(device.id, { generation, device, limits });
    return limits;
  }
}

/** As the engine runs the rule: a bad stored override means the defaults. */
function paramsOrDefaults<P extends z.ZodObject>(rule: { id: string; params: P }, home: HomeRecord, resident: ResidentRecord | undefined): z.output<P> {
  const parsed = storedParams(rule, home, resident);
  return parsed.success ? parsed.data : rule.params.parse({});
}
