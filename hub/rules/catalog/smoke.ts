/**
 * Smoke (issue 3): a smoke sensor's `smoke` is critical at once. `smoke_clear`
 * is attached as a note and never closes the alert — a person resolves it
 * (DESIGN.md §4: clear events are attached, not used to close).
 */
import { z } from 'zod';
import { defineRule } from '../define-rule.js';

export const smokeRule = defineRule({
  id: 'smoke',
  description: 'A smoke sensor detected smoke: critical at once. `smoke_clear` is noted on the open alert and never closes it.',
  alertKind: 'smoke',
  severity: 'critical',
  on: { deviceKinds: ['smoke_sensor'], events: ['smoke', 'smoke_clear'] },
  params: z.object({}),
  evaluate: ({ input, home }) => {
    if (input.type !== 'signal' || input.signal.channel !== 'event') return null;
    const { deviceId, type } = input.signal;
    const base = { kind: 'smoke', homeId: home.id, deviceId };
    return type === 'smoke'
      ? { drafts: [{ ...base, severity: 'critical', title: 'Smoke detected' }] }
      : { drafts: [{ ...base, effect: 'attach', severity: 'critical', title: 'Smoke cleared', note: 'smoke cleared' }] };
  },
});
