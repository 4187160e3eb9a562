/**
 * Gas (issue 3): the alarm's own `gas` event, or a telemetry reading at or
 * above the alarm level, is critical. Readings at or above the warning level
 * for N consecutive readings raise a high warning of the same kind, so the one
 * open alert rises to critical if the gas keeps building up. A reading below
 * the warning level ends the episode. `gas_clear` is only noted (DESIGN.md §4).
 */
import { z } from 'zod';
import { defineRule } from '../define-rule.js';
import { without } from './shared/devices.js';

const params = z
  .object({
    alarmLel: z.number().min(1).max(100).default(20).describe('telemetry `lel` (% of the lower explosive limit) at or above which the alert is critical'),
    warningLel: z.number().min(1).max(100).default(10).describe('telemetry `lel` at or above which consecutive readings count towards a warning'),
    warningReadings: z.number().int().min(1).max(20).default(2).describe('consecutive readings at or above `warningLel` that raise the high warning'),
  })
  .refine((p) => p.warningLel < p.alarmLel, 'warningLel must be below alarmLel');

interface GasState {
  /** Per gas alarm: readings in a row at or above the warning level, and whether this episode has raised. */
  devices: Record<string, { count: number; raised: boolean }>;
}

export const gasRule = defineRule<typeof params, GasState>({
  id: 'gas',
  description: 'Gas detected: the alarm\'s `gas` event or a reading at or above the alarm level is critical; a sustained reading at the warning level raises a high warning of the same kind. `gas_clear` is noted and never closes the alert.',
  alertKind: 'gas',
  severity: 'critical',
  on: { deviceKinds: ['gas_alarm'], events: ['gas', 'gas_clear'], telemetry: true },
  params,
  evaluate: ({ input, home, params, state }) => {
    if (input.type !== 'signal') return null;
    const { signal } = input;
    const devices = state?.devices ?? {};
    const base = { kind: 'gas', homeId: home.id, deviceId: signal.deviceId };
    const lel = typeof signal.payload.lel === 'number' ? signal.payload.lel : undefined;
    if (signal.channel === 'event') {
      if (signal.type === 'gas') {
        return { drafts: [{ ...base, severity: 'critical', title: 'Gas detected', details: { lel, gas: signal.payload.gas } }] };
      }
      const note = lel === undefined ? 'gas cleared' : `gas cleared (${lel} % LEL)`;
      return {
        state: { devices: without(devices, signal.deviceId) },
        drafts: [{ ...base, effect: 'attach', severity: 'critical', title: 'Gas cleared', note }],
      };
    }
    if (lel === undefined) return null;
    if (lel < params.warningLel) {
      return signal.deviceId in devices ? { state: { devices: without(devices, signal.deviceId) } } : null;
    }
    const previous = devices[signal.deviceId] ?? { count: 0, raised: false };
    const count = previous.count + 1;
    const details = { lel, readings: count };
    let draft;
    // Every reading at the alarm level is an occurrence; the warning is raised once per episode.
    if (lel >= params.alarmLel) draft = { ...base, severity: 'critical' as const, title: `Gas at ${lel} % LEL`, details };
    else if (count >= params.warningReadings && !previous.raised) draft = { ...base, severity: 'high' as const, title: `Gas building up: ${lel} % LEL`, details };
    return {
      state: { devices: { ...devices, [signal.deviceId]: { count, raised: previous.raised || draft !== undefined } } },
      drafts: draft ? [draft] : [],
    };
  },
});
