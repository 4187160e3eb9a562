/** The rule catalogue: every rule the engine runs. One file per rule. */
import type { AnyRule } from '../define-rule.js';
import { sosRule } from './sos.js';

export const RULES: readonly AnyRule[] = [sosRule];
