/** SOS: the resident pressed the button on the bracelet. Always critical, no parameters. */
import { z } from 'zod';
import { defineRule, raise } from '../define-rule.js';

export const sosRule = defineRule({
  id: 'sos',
  description: 'The resident pressed the SOS button on the bracelet.',
  alertKind: 'sos',
  severity: 'critical',
  on: { deviceKinds: ['bracelet'], events: ['sos'] },
  perResident: true,
  params: z.object({}),
  evaluate: ({ input, home }) =>
    input.type === 'signal'
      ? raise({ kind: 'sos', severity: 'critical', title: 'SOS button pressed', homeId: home.id, deviceId: input.signal.deviceId })
      : null,
});
