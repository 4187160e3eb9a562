/** Gas alarm: a clean kitchen reads ~0 % LEL with a little sensor noise. */
import { round1, type KindBehaviour } from './behaviour.js';

export const gasAlarmBehaviour: KindBehaviour<null> = {
  kind: 'gas_alarm',
  // Battery backup of a mains unit: years.
  batteryDrainPerHour: 0.002,
  init: () => null,
  step: (state, _now, random) => ({ state, telemetry: { lel: round1(random() * 0.5) } }),
};
