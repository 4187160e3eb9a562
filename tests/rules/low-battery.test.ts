import { describe, expect, it } from 'vitest';
import { lowBatteryRule } from '../../hub/rules/catalog/low-battery.js';
import { at, event, HOUR, play, RuleHarness, telemetry, type Scenario } from './rule-harness.js';

const T = at('2026-01-15T10:00:00Z');
const battery = (pct: number, kind = 'bracelet', id?: string) => telemetry(kind, { battery: pct }, id);

const table: Scenario<typeof lowBatteryRule.params>[] = [
  ...['bracelet', 'gas_alarm', 'smoke_sensor', 'door_sensor'].map((kind) => ({
    name: `${kind}: the low_battery event`,
    steps: [[T, event(kind, 'low_battery')]] as const,
    expected: ['raise low low_battery @2026-01-15T10:00:00Z'],
  })),
  { name: 'telemetry just below the threshold (14 %)', steps: [[T, battery(14)]], expected: ['raise low low_battery @2026-01-15T10:00:00Z'] },
  { name: 'telemetry exactly at the threshold (15 %): not low', steps: [[T, battery(15)]], expected: [] },
  { name: 'battery on any event counts (a door open at 9 %)', steps: [[T, event('door_sensor', 'open', { battery: 9 })]], expected: ['raise low low_battery @2026-01-15T10:00:00Z'] },
  { name: 'at most once a day while it stays low', steps: [[T, battery(10)], [T + HOUR, battery(9)], [T + 23 * HOUR, event('bracelet', 'low_battery')]], expected: ['raise low low_battery @2026-01-15T10:00:00Z'] },
  { name: 'again after 24 h', steps: [[T, battery(10)], [T + 24 * HOUR, battery(8)]], expected: ['raise low low_battery @2026-01-15T10:00:00Z', 'raise low low_battery @2026-01-16T10:00:00Z'] },
  { name: 'charged, then low again: raised again at once', steps: [[T, battery(10)], [T + HOUR, battery(90)], [T + 2 * HOUR, battery(12)]], expected: ['raise low low_battery @2026-01-15T10:00:00Z', 'raise low low_battery @2026-01-15T12:00:00Z'] },
  { name: 'a message without battery does not re-arm', steps: [[T, battery(10)], [T + HOUR, telemetry('bracelet', { heartRate: 70 })], [T + 2 * HOUR, battery(10)]], expected: ['raise low low_battery @2026-01-15T10:00:00Z'] },
  { name: 'each device on its own', steps: [[T, battery(10, 'bracelet')], [T + 1000, battery(10, 'smoke_sensor')]], expected: ['raise low low_battery @2026-01-15T10:00:00Z', 'raise low low_battery @2026-01-15T10:00:01Z'] },
  { name: 'a home with a 20 % threshold', options: { params: { belowPercent: 20 } }, steps: [[T, battery(19)]], expected: ['raise low low_battery @2026-01-15T10:00:00Z'] },
];

describe('low battery rule', () => {
  it.each(table)('$name', ({ options, steps, expected }) => {
    expect(play(new RuleHarness(lowBatteryRule, options), steps)).toEqual(expected);
  });

  it('listens to every event of every kind, and to telemetry', () => {
    expect(lowBatteryRule.on.deviceKinds).toEqual(['bracelet', 'gas_alarm', 'smoke_sensor', 'door_sensor']);
    expect(lowBatteryRule.on.events).toEqual(expect.arrayContaining(['low_battery', 'sos', 'gas', 'smoke', 'open', 'tamper']));
    expect(lowBatteryRule.on.telemetry).toBe(true);
  });

  it('names the device and the charge', () => {
    const h = new RuleHarness(lowBatteryRule);
    expect(h.send(T, battery(9, 'smoke_sensor'))).toEqual([{ kind: 'low_battery', severity: 'low', homeId: 'home-1', deviceId: 'smk-1', title: 'Smoke sensor battery low (9 %)', details: { battery: 9 } }]);
    expect(h.send(T, event('door_sensor', 'low_battery'))[0]?.title).toBe('Door sensor battery low');
  });
});
