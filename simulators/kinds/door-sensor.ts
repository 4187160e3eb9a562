/** Door sensor: no readings of its own; its heartbeat carries only the battery level. */
import type { KindBehaviour } from './behaviour.js';

export const doorSensorBehaviour: KindBehaviour<null> = {
  kind: 'door_sensor',
  // Two AAA cells, about two years.
  batteryDrainPerHour: 0.005,
  init: () => null,
  step: (state) => ({ state, telemetry: {} }),
};
