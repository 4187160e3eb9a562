/**
 * Heart rate (issue 3): a reading outside the resident's own range for N
 * consecutive readings while the bracelet is worn is high; 0 bpm while worn is
 * critical at once. A bracelet off the wrist measures nothing: its readings are
 * ignored and reset the count. Whether it is worn comes from the `worn`
 * telemetry field and the `removed` / `worn` events; unknown counts as worn.
 */
import { z } from 'zod';
import { defineRule } from '../define-rule.js';
import { wornAfter } from './shared/devices.js';

const params = z
  .object({
    min: z.number().int().min(20).max(150).default(45).describe('lowest normal heart rate for this resident, bpm (a reading equal to it is normal)'),
    max: z.number().int().min(40).max(250).default(120).describe('highest normal heart rate for this resident, bpm (a reading equal to it is normal)'),
    readings: z.number().int().min(1).max(30).default(3).describe('consecutive out-of-range readings while worn that raise the alert'),
  })
  .refine((p) => p.min < p.max, 'min must be below max');

interface HeartRateState {
  /** Per bracelet: worn as last known, out-of-range readings in a row, whether this episode has raised. */
  devices: Record<string, { worn: boolean | undefined; count: number; raised: boolean }>;
}

export const heartRateRule = defineRule<typeof params, HeartRateState>({
  id: 'heart_rate',
  description: 'Heart rate outside the resident\'s range for several readings in a row while the bracelet is worn (high); 0 bpm while worn (critical at once).',
  alertKind: 'heart_rate',
  severity: 'high',
  on: { deviceKinds: ['bracelet'], events: ['removed', 'worn'], telemetry: true },
  perResident: true,
  params,
  evaluate: ({ input, home, params, state }) => {
    if (input.type !== 'signal') return null;
    const { signal } = input;
    const devices = state?.devices ?? {};
    const previous = devices[signal.deviceId] ?? { worn: undefined, count: 0, raised: false };
    const worn = wornAfter(signal, previous.worn);
    const bpm = signal.channel === 'telemetry' && typeof signal.payload.heartRate === 'number' ? signal.payload.heartRate : undefined;
    const save = (entry: HeartRateState['devices'][string]) => ({ devices: { ...devices, [signal.deviceId]: entry } });
    // Off the wrist, or no reading in this message: nothing to judge; taking it off ends an episode.
    if (worn === false) return { state: save({ worn, count: 0, raised: false }) };
    if (bpm === undefined) return { state: save({ ...previous, worn }) };
    const base = { kind: 'heart_rate', homeId: home.id, deviceId: signal.deviceId };
    if (bpm === 0) {
      return { state: save({ worn, count: 0, raised: false }), drafts: [{ ...base, severity: 'critical', title: 'No heart rate (0 bpm) while the bracelet is worn', details: { heartRate: 0 } }] };
    }
    if (bpm >= params.min && bpm <= params.max) return { state: save({ worn, count: 0, raised: false }) };
    const count = previous.count + 1;
    const raise = count >= params.readings && !previous.raised;
    return {
      state: save({ worn, count, raised: previous.raised || raise }),
      drafts: raise
        ? [{ ...base, severity: 'high', title: `Heart rate ${bpm} bpm, outside ${params.min}–${params.max} bpm`, details: { heartRate: bpm, readings: count, min: params.min, max: params.max } }]
        : [],
    };
  },
});
