import { describe, expect, it } from 'vitest';
import { deviceOfflineRule } from '../../hub/rules/catalog/device-offline.js';
import { at, HOUR, play, presence, RuleHarness, type Scenario } from './rule-harness.js';

const T = at('2026-01-15T10:00:00Z');
const off = (kind: string, id?: string) => presence(kind, false, id);
const on = (kind: string, id?: string) => presence(kind, true, id, 'message');

const table: Scenario<typeof deviceOfflineRule.params>[] = [
  ...['bracelet', 'door_sensor'].map((kind) => ({
    name: `${kind} offline: low, and never more`,
    steps: [[T, off(kind)], [T + 7 * 24 * HOUR]] as const,
    expected: ['raise low device_offline @2026-01-15T10:00:00Z'],
  })),
  ...['smoke_sensor', 'gas_alarm'].map((kind) => ({
    name: `${kind} offline: low, then medium exactly 24 h later`,
    steps: [[T, off(kind)], [T + 24 * HOUR - 1000], [T + 7 * 24 * HOUR]] as const,
    expected: ['raise low device_offline @2026-01-15T10:00:00Z', 'raise medium device_offline @2026-01-16T10:00:00Z'],
  })),
  {
    name: 'back online one second before 24 h: noted, no medium',
    steps: [[T, off('smoke_sensor')], [T + 24 * HOUR - 1000, on('smoke_sensor')], [T + 48 * HOUR]],
    expected: ['raise low device_offline @2026-01-15T10:00:00Z', 'attach low device_offline @2026-01-16T09:59:59Z'],
  },
  {
    name: 'the watchdog and the status topic both saying offline: one alert',
    steps: [[T, off('bracelet')], [T + 1000, presence('bracelet', false, 'brc-1', 'status_topic')]],
    expected: ['raise low device_offline @2026-01-15T10:00:00Z'],
  },
  { name: 'online with no offline on record (hub start): nothing', steps: [[T, on('bracelet')]], expected: [] },
  {
    name: 'two safety sensors: each escalated at its own time',
    steps: [[T, off('smoke_sensor')], [T + HOUR, off('gas_alarm')], [T + 48 * HOUR]],
    expected: ['raise low device_offline @2026-01-15T10:00:00Z', 'raise low device_offline @2026-01-15T11:00:00Z', 'raise medium device_offline @2026-01-16T10:00:00Z', 'raise medium device_offline @2026-01-16T11:00:00Z'],
  },
  {
    name: 'the first back online: the wake-up moves to the second',
    steps: [[T, off('smoke_sensor')], [T + HOUR, off('gas_alarm')], [T + 2 * HOUR, on('smoke_sensor')], [T + 48 * HOUR]],
    expected: ['raise low device_offline @2026-01-15T10:00:00Z', 'raise low device_offline @2026-01-15T11:00:00Z', 'attach low device_offline @2026-01-15T12:00:00Z', 'raise medium device_offline @2026-01-16T11:00:00Z'],
  },
  {
    name: 'offline again after coming back: a new count',
    steps: [[T, off('gas_alarm')], [T + HOUR, on('gas_alarm')], [T + 2 * HOUR, off('gas_alarm')], [T + 48 * HOUR]],
    expected: ['raise low device_offline @2026-01-15T10:00:00Z', 'attach low device_offline @2026-01-15T11:00:00Z', 'raise low device_offline @2026-01-15T12:00:00Z', 'raise medium device_offline @2026-01-16T12:00:00Z'],
  },
  { name: 'a home that escalates after 6 h', options: { params: { safetyEscalateHours: 6 } }, steps: [[T, off('smoke_sensor')], [T + 24 * HOUR]], expected: ['raise low device_offline @2026-01-15T10:00:00Z', 'raise medium device_offline @2026-01-15T16:00:00Z'] },
];

describe('device offline rule', () => {
  it.each(table)('$name', ({ options, steps, expected }) => {
    expect(play(new RuleHarness(deviceOfflineRule, options), steps)).toEqual(expected);
  });

  it('names the device kind in plain words and cancels the wake-up when it is back', () => {
    const h = new RuleHarness(deviceOfflineRule);
    expect(h.send(T, off('smoke_sensor'))).toEqual([{ kind: 'device_offline', severity: 'low', homeId: 'home-1', deviceId: 'smk-1', title: 'Smoke sensor offline', details: { reason: 'watchdog' } }]);
    expect(h.wakeAt).toBe(T + 24 * HOUR);
    expect(h.send(T + HOUR, on('smoke_sensor'))[0]).toMatchObject({ effect: 'attach', note: 'Smoke sensor back online' });
    expect(h.wakeAt).toBeUndefined();
    expect(h.state).toEqual({ offline: {} });
  });

  it('titles the escalation', () => {
    const h = new RuleHarness(deviceOfflineRule);
    h.send(T, off('gas_alarm'));
    expect(h.wake()[0]).toMatchObject({ severity: 'medium', title: 'Gas alarm offline for more than 24 h' });
    expect(h.wakeAt).toBeUndefined();
  });
});
