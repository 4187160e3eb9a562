/**
 * A rule's params as the engine and the overload triage read them
 * (hub/rules/engine.ts `storedParams`): defaults, then the home's overrides,
 * then the resident's; parsed once per home record and resident record and
 * shared until the registry replaces one of them.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HomeRecord, ResidentRecord } from '../hub/registry/records.js';
import { heartRateRule } from '../hub/rules/catalog/heart-rate.js';
import { storedParams } from '../hub/rules/engine.js';

const at = '2026-12-06T00:00:00.000Z';
const home = (ruleSettings?: HomeRecord['ruleSettings']): HomeRecord => ({ id: 'h1', name: 'Home', address: 'Street 1', status: 'live', residentId: 'r1', createdAt: at, updatedAt: at, ruleSettings });
const resident = (ruleSettings?: ResidentRecord['ruleSettings']) => ({ id: 'r1', homeId: 'h1', name: 'r1', createdAt: at, updatedAt: at, ruleSettings }) as ResidentRecord;

describe('stored rule params', () => {
  it('layer the defaults, the home and the resident, and are parsed once per pair of records', () => {
    const h = home({ heart_rate: { max: 130 } });
    const r = resident({ heart_rate: { min: 50 } });
    const first = storedParams(heartRateRule, h, r);
    expect(first.success && first.data).toMatchObject({ min: 50, max: 130 });
    expect(storedParams(heartRateRule, h, r)).toBe(first);
    // The home's alone is another entry.
    const homeOnly = storedParams(heartRateRule, h, undefined);
    expect(homeOnly.success && homeOnly.data).toMatchObject({ min: 45, max: 130 });
    expect(storedParams(heartRateRule, h, undefined)).toBe(homeOnly);
  });

  it('follow a replaced home or resident record at once', () => {
    const h = home();
    const r = resident();
    expect(storedParams(heartRateRule, h, r).data).toMatchObject({ min: 45, max: 120 });
    const changedHome = { ...h, ruleSettings: { heart_rate: { max: 140 } } };
    expect(storedParams(heartRateRule, changedHome, r).data).toMatchObject({ max: 140 });
    const changedResident = { ...r, ruleSettings: { heart_rate: { max: 150 } } };
    expect(storedParams(heartRateRule, changedHome, changedResident).data).toMatchObject({ max: 150 });
    // The old records still give their own params.
    expect(storedParams(heartRateRule, h, r).data).toMatchObject({ max: 120 });
  });

  it('give a refused override as a failed parse, every time, and keep rules with the same id apart', () => {
    const h = home({ heart_rate: { min: 130, max: 90 } });
    const refused = storedParams(heartRateRule, h, undefined);
    expect(refused.success).toBe(false);
    expect(storedParams(heartRateRule, h, undefined).success).toBe(false);
    const same = home();
    expect(storedParams(heartRateRule, same, undefined).data).toMatchObject({ min: 45, max: 120 });
    const other = { id: 'heart_rate', params: z.object({ limit: z.number().default(7) }) };
    expect(storedParams(other, same, undefined).data).toEqual({ limit: 7 });
  });
});
