/**
 * Fall (issue 3): a detected fall is critical at once. The wearer may cancel it
 * on the bracelet within the cancel window; that never closes the alert (only a
 * person resolves one, DESIGN.md §4) but drops it to medium "call back" —
 * REFERENCES.md: bending over sets detectors off, and users want a cancel
 * window *and* a follow-up call, not silent closure. A cancel after the window
 * is only noted: the alert stays critical and a person decides.
 */
import { z } from 'zod';
import { bracelet } from '../../../devices/kinds/bracelet.js';
import { defineRule } from '../define-rule.js';
import { without } from './shared/devices.js';

const params = z.object({
  cancelWindowSec: z
    .number()
    .int()
    .min(0)
    .max(600)
    .default(bracelet.settings.fallCancelWindowSec ?? 30)
    .describe('seconds after a fall in which `fall_cancelled` from the same bracelet drops the alert to medium "call back" (default: the bracelet kind\'s cancel window)'),
});

interface FallState {
  /** When each bracelet last reported a fall (epoch ms). */
  lastFallAt: Record<string, number>;
}

export const fallRule = defineRule<typeof params, FallState>({
  id: 'fall',
  description: 'The bracelet detected a fall: critical at once. A cancel by the wearer within the window turns it into a medium "call back"; it is never closed automatically.',
  alertKind: 'fall',
  severity: 'critical',
  on: { deviceKinds: ['bracelet'], events: ['fall', 'fall_cancelled'] },
  perResident: true,
  params,
  evaluate: ({ input, home, now, params, state }) => {
    if (input.type !== 'signal' || input.signal.channel !== 'event') return null;
    const { deviceId, type, payload } = input.signal;
    const base = { kind: 'fall', homeId: home.id, deviceId };
    const lastFallAt = state?.lastFallAt ?? {};
    if (type === 'fall') {
      const details = typeof payload.confidence === 'number' ? { confidence: payload.confidence } : undefined;
      return {
        state: { lastFallAt: { ...lastFallAt, [deviceId]: now } },
        drafts: [{ ...base, severity: 'critical', title: 'Fall detected', details }],
      };
    }
    // fall_cancelled: only the bracelet that fell can cancel its own fall.
    const fellAt = lastFallAt[deviceId];
    const next = { lastFallAt: without(lastFallAt, deviceId) };
    if (fellAt !== undefined && now - fellAt <= params.cancelWindowSec * 1000) {
      const afterSec = Math.round((now - fellAt) / 1000);
      return {
        state: next,
        drafts: [{ ...base, effect: 'set_severity', severity: 'medium', title: 'Fall cancelled by the wearer — call back', note: `Cancelled on the bracelet ${afterSec} s after the fall` }],
      };
    }
    const note = fellAt === undefined ? 'Fall cancelled on the bracelet (no fall from it is on record)' : 'Fall cancelled on the bracelet after the cancel window: the alert stays critical';
    return { state: next, drafts: [{ ...base, effect: 'attach', severity: 'critical', title: 'Fall cancelled late', note }] };
  },
});
