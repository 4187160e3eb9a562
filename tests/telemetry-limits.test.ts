/**
 * The limits the overload triage keeps readings by (hub/rules/telemetry-limits.ts):
 * the heart_rate and low_battery rules' params as the engine resolves them,
 * per device, kept until a record they came from is replaced; looked at
 * again only when the registry's generation moved, which every change to a
 * real registry does (files store, below).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceRecord, HomeRecord, ResidentRecord } from '../hub/registry/records.js';
import { Registry } from '../hub/registry/registry.js';
import { TelemetryLimitsCache } from '../hub/rules/telemetry-limits.js';
import { RegistryFiles } from '../hub/storage/files/registry-files.js';
import { useCleanup } from './helpers/cleanup.js';
import { makeTempDir } from './helpers/temp-dir.js';

const keep = useCleanup();

const at = '2026-12-06T00:00:00.000Z';
const home = (ruleSettings?: HomeRecord['ruleSettings']): HomeRecord => ({ id: 'h1', name: 'Home', address: 'Street 1', status: 'live', residentId: 'r1', createdAt: at, updatedAt: at, ruleSettings });
const resident = (id: string, ruleSettings?: ResidentRecord['ruleSettings']) => ({ id, homeId: 'h1', name: id, createdAt: at, updatedAt: at, ruleSettings }) as ResidentRecord;
const device = (kind: string, residentId?: string): DeviceRecord => ({ id: `${kind}-1`, homeId: 'h1', kind, serial: 's', residentId, secretHash: 'sha256:x', createdAt: at });

/** A registry of one home; `change` replaces records as the real one does, and moves the generation. */
function registryOf(initial: { home: HomeRecord; residents: ResidentRecord[] }) {
  const records = { ...initial };
  return {
    generation: 0,
    getHome: (id: string) => (id === records.home.id ? records.home : undefined),
    getResident: (id: string) => records.residents.find((r) => r.id === id),
    residentIds: (id: string) => (id === records.home.id ? records.residents.map((r) => r.id) : []),
    change(next: Partial<typeof records>, moveGeneration = true) {
      Object.assign(records, next);
      if (moveGeneration) this.generation++;
    },
  };
}

describe('telemetry limits', () => {
  it('are the rules\' defaults, then the home\'s overrides, then the wearer\'s; a device of the home gets only the battery threshold', () => {
    const limits = new TelemetryLimitsCache(registryOf({ home: home({ low_battery: { belowPercent: 25 }, heart_rate: { max: 130 } }), residents: [resident('r1', { heart_rate: { min: 50 } })] }));
    expect(limits.of(device('bracelet'))).toEqual({ heartRate: { min: 50, max: 130 }, batteryBelow: 25 });
    expect(limits.of(device('gas_alarm'))).toEqual({ batteryBelow: 25 });
    expect(limits.of({ ...device('bracelet'), homeId: 'elsewhere' })).toBeUndefined();
  });

  it('follow a changed record at once, and fall back to the defaults for a stored override the rule refuses', () => {
    const registry = registryOf({ home: home(), residents: [resident('r1')] });
    const limits = new TelemetryLimitsCache(registry);
    const bracelet = device('bracelet');
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 45, max: 120 });
    registry.change({ residents: [resident('r1', { heart_rate: { min: 40, max: 150 } })] });
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 40, max: 150 });
    registry.change({ home: home({ low_battery: { belowPercent: 30 } }) });
    expect(limits.of(bracelet)?.batteryBelow).toBe(30);
    // min must be below max: the engine runs the rule with its defaults, and so does the triage.
    registry.change({ residents: [resident('r1', { heart_rate: { min: 130, max: 90 } })] });
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 45, max: 120 });
    // Another device's record changed (the generation moved, these records did not): the same limits.
    registry.change({});
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 45, max: 120 });
    // A replaced device record is looked at again even at the same generation.
    expect(limits.of({ ...bracelet, kind: 'gas_alarm' })).toEqual({ batteryBelow: 30 });
  });

  it('answer from memory while the registry\'s generation stays: the records are not read again', () => {
    const registry = registryOf({ home: home(), residents: [resident('r1')] });
    const limits = new TelemetryLimitsCache(registry);
    const bracelet = device('bracelet');
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 45, max: 120 });
    registry.change({ residents: [resident('r1', { heart_rate: { max: 150 } })] }, false);
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 45, max: 120 });
    registry.change({});
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 45, max: 150 });
  });

  it('follow every change to a real registry: a wearer\'s range, the home\'s threshold, a change undone by a failed write', async () => {
    const temp = keep(await makeTempDir('telemetry-limits-'), (t) => t.remove());
    const registry = new Registry(new RegistryFiles(join(temp.path, 'registry')));
    await registry.start();
    keep(registry, (r) => r.stop());
    const { home: made, resident: wearer } = await registry.createHome({ name: 'Home', address: 'Street 1', resident: { name: 'Wang Fang', birthYear: 1940, conditions: [], specialHardship: false, contacts: [] } });
    const { device: bracelet } = await registry.addDevice(made.id, 'bracelet', 'BR-1');
    const limits = new TelemetryLimitsCache(registry);
    expect(limits.of(bracelet)).toEqual({ heartRate: { min: 45, max: 120 }, batteryBelow: 15 });

    const before = registry.generation;
    await registry.updateResident(wearer.id, (r) => ({ ...r, ruleSettings: { heart_rate: { max: 140 } } }));
    expect(registry.generation).toBeGreaterThan(before);
    expect(limits.of(bracelet)?.heartRate).toEqual({ min: 45, max: 140 });
    await registry.updateHome(made.id, (h) => ({ ...h, ruleSettings: { low_battery: { belowPercent: 25 } } }));
    expect(limits.of(bracelet)?.batteryBelow).toBe(25);

    // A write the store refuses is undone in memory: the limits go back with it.
    await temp.remove();
    await expect(registry.updateHome(made.id, (h) => ({ ...h, ruleSettings: { low_battery: { belowPercent: 40 } } }))).rejects.toThrow();
    expect(registry.getHome(made.id)?.ruleSettings).toEqual({ low_battery: { belowPercent: 25 } });
    expect(limits.of(bracelet)?.batteryBelow).toBe(25);
  });

  it('judge a couple\'s bracelet by its wearer, and one given to nobody yet by the first resident', () => {
    const limits = new TelemetryLimitsCache(registryOf({ home: home(), residents: [resident('r1', { heart_rate: { max: 100 } }), resident('r2', { heart_rate: { max: 160 } })] }));
    expect(limits.of(device('bracelet', 'r2'))?.heartRate).toEqual({ min: 45, max: 160 });
    expect(limits.of(device('bracelet'))?.heartRate).toEqual({ min: 45, max: 100 });
    // A home rule sees no single resident in a couple's home: the home's battery threshold.
    expect(limits.of(device('bracelet', 'r2'))?.batteryBelow).toBe(15);
  });
});
