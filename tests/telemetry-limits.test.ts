/**
 * The limits the overload triage keeps readings by (hub/rules/telemetry-limits.ts):
 * the heart_rate and low_battery rules' params as the engine resolves them,
 * per device, kept until a record they came from is replaced.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceRecord, HomeRecord, ResidentRecord } from '../hub/registry/records.js';
import { TelemetryLimitsCache } from '../hub/rules/telemetry-limits.js';

const at = '2026-12-06T00:00:00.000Z';
const home = (ruleSettings?: HomeRecord['ruleSettings']): HomeRecord => ({ id: 'h1', name: 'Home', address: 'Street 1', status: 'live', residentId: 'r1', createdAt: at, updatedAt: at, ruleSettings });
const resident = (id: string, ruleSettings?: ResidentRecord['ruleSettings']) => ({ id, homeId: 'h1', name: id, createdAt: at, updatedAt: at, ruleSettings }) as ResidentRecord;
const device = (kind: string, residentId?: string): DeviceRecord => ({ id: `${kind}-1`, homeId: 'h1', kind, serial: 's', residentId, secretHash: 'sha256:x', createdAt: at });

function registryOf(records: { home: HomeRecord; residents: ResidentRecord[] }) {
  return {
    getHome: (id: string) => (id === records.home.id ? records.home : undefined),
    getResident: (id: string) => records.residents.find((r) => r.id === id),
    residentIds: (id: string) => (id === records.home.id ? records.residents.map((r) => r.id) : []),
  };
}

describe('telemetry limits', () => {
  it('are the rules\' defaults, then the home\'s overrides, then the wearer\'s; a device of the home gets only the battery threshold', () => {
    const records = { home: home({ low_battery: { belowPercent: 25 }, heart_rate: { max: 130 } }), residents: [resident('r1', { heart_rate: { min: 50 } })] };
    const limits = new TelemetryLimitsCache(registryOf(records));
    expect(limits.of(device('bracelet'))).toEqual({ heartRate: { min: 50, max: 130 }, batteryBelow: 25 });
    expect(limits.of(device('gas_alarm'))).toEqual({ batteryBelow: 25 });
    expect(limits.of({ ...device('bracelet'), homeId: 'elsewhere' })).toBeUndefined();
  });

  it('follow a changed record at once, and fall back to the defaults for a stored override the rule refuses', () => {
    const records = { home: home(), residents: [resident('r1')] };
    const limits = new TelemetryLimitsCache(registryOf(records));
    const bracelet = device('bracelet');
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 45, max: 120 });
    records.residents = [resident('r1', { heart_rate: { min: 40, max: 150 } })];
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 40, max: 150 });
    records.home = home({ low_battery: { belowPercent: 30 } });
    expect(limits.of(bracelet)?.batteryBelow).toBe(30);
    // min must be below max: the engine runs the rule with its defaults, and so does the triage.
    records.residents = [resident('r1', { heart_rate: { min: 130, max: 90 } })];
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 45, max: 120 });
  });

  it('judge a couple\'s bracelet by its wearer, and one given to nobody yet by the first resident', () => {
    const records = { home: home(), residents: [resident('r1', { heart_rate: { max: 100 } }), resident('r2', { heart_rate: { max: 160 } })] };
    const limits = new TelemetryLimitsCache(registryOf(records));
    expect(limits.of(device('bracelet', 'r2'))?.heartRate).toEqual({ min: 45, max: 160 });
    expect(limits.of(device('bracelet'))?.heartRate).toEqual({ min: 45, max: 100 });
    // A home rule sees no single resident in a couple's home: the home's battery threshold.
    expect(limits.of(device('bracelet', 'r2'))?.batteryBelow).toBe(15);
  });
});
