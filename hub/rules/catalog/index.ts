/** The rule catalogue: every rule the engine runs. One file per rule (issue 3); docs/RULES.md is generated from it. */
import type { AnyRule } from '../define-rule.js';
import { deviceOfflineRule } from './device-offline.js';
import { doorLeftOpenRule } from './door-left-open.js';
import { fallRule } from './fall.js';
import { gasRule } from './gas.js';
import { heartRateRule } from './heart-rate.js';
import { inactivityRule } from './inactivity.js';
import { lowBatteryRule } from './low-battery.js';
import { nightExitRule } from './night-exit.js';
import { notWornRule } from './not-worn.js';
import { smokeRule } from './smoke.js';
import { sosRule } from './sos.js';
import { tamperRule } from './tamper.js';

/** Safety first, then wellbeing, then technical — the order of docs/RULES.md. */
export const RULES: readonly AnyRule[] = [
  sosRule,
  fallRule,
  smokeRule,
  gasRule,
  heartRateRule,
  nightExitRule,
  doorLeftOpenRule,
  inactivityRule,
  deviceOfflineRule,
  lowBatteryRule,
  tamperRule,
  notWornRule,
];
