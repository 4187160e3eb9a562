/**
 * docs/RULES.md, rendered from the rule catalogue so the documentation of
 * thresholds and defaults cannot drift from the code (issue 3). Pure: the
 * tool hub/tools/write-rules-doc.ts writes the file and
 * tests/rules/rules-doc.test.ts fails when the committed copy differs.
 */
import { z } from 'zod';
import { findDeviceKind } from '../../devices/catalog.js';
import type { AnyRule } from './define-rule.js';

interface ParamSchema {
  type?: string;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  enum?: unknown[];
}

export interface ParamDoc {
  name: string;
  type: string;
  default: unknown;
  description: string;
}

/** A rule's parameters as documented: every one must have a default and a description. */
export function paramDocs(rule: AnyRule): ParamDoc[] {
  const schema = z.toJSONSchema(rule.params, { io: 'input' }) as { properties?: Record<string, ParamSchema> };
  return Object.entries(schema.properties ?? {}).map(([name, p]) => {
    if (!p.description) throw new Error(`rule ${rule.id}: parameter ${name} has no .describe()`);
    if (p.default === undefined) throw new Error(`rule ${rule.id}: parameter ${name} has no default`);
    return { name, type: typeOf(p), default: p.default, description: p.description };
  });
}

function typeOf(p: ParamSchema): string {
  if (p.enum) return p.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' / ');
  if (p.type === 'string' && p.pattern?.includes(':[0-5]')) return 'time of day `HH:MM`';
  if (p.type === 'number' || p.type === 'integer') {
    // zod's int() emits MAX_SAFE_INTEGER as the upper bound: not worth printing.
    const max = p.maximum !== undefined && p.maximum < Number.MAX_SAFE_INTEGER ? p.maximum : undefined;
    const min = p.minimum !== undefined ? `${p.minimum}` : p.exclusiveMinimum !== undefined ? `> ${p.exclusiveMinimum}` : undefined;
    if (min !== undefined && max !== undefined && !min.startsWith('>')) return `${p.type} ${min}–${max}`;
    return [p.type, min !== undefined && !min.startsWith('>') ? `≥ ${min}` : min, max !== undefined ? `≤ ${max}` : undefined].filter(Boolean).join(' ');
  }
  return p.type ?? 'any';
}

/**
 * "`door_sensor` events `open`, `close`; `bracelet` telemetry" — per device
 * kind, only the events that kind really has (a rule's `events` apply to all
 * of its kinds).
 */
export function listensTo(rule: AnyRule): string {
  return rule.on.deviceKinds
    .map((kind) => {
      const known = findDeviceKind(kind)?.eventTypes;
      const events = (rule.on.events ?? []).filter((e) => !known || known.includes(e));
      const parts = [
        ...(events.length ? [`events ${events.map(code).join(', ')}`] : []),
        ...(rule.on.telemetry ? ['telemetry'] : []),
        ...(rule.on.presence ? ['online/offline'] : []),
      ];
      return `${code(kind)} ${parts.join(', ')}`;
    })
    .join('; ');
}

const code = (text: string) => `\`${text}\``;
/** Table cells: a pipe would end the cell, a newline the row. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderRulesDoc(rules: readonly AnyRule[]): string {
  const lines = [
    '# Rules',
    '',
    '<!-- Generated from hub/rules/catalog/ by `npm run rules:docs` (hub/rules/rules-doc.ts). Do not edit by hand: tests/rules/rules-doc.test.ts fails when this file and the catalogue differ. -->',
    '',
    'Every alert the hub raises comes from one of these rules. Each rule is one file in `hub/rules/catalog/` and a pure function of what happened (a device message, an online/offline change, or a wake-up it asked for), the home and resident, the time and its parameters.',
    '',
    '- **Parameters** have the defaults below. A home\'s `ruleSettings[<rule id>]` override them, and the resident\'s override the home\'s. Stored settings that do not validate fall back to the defaults, and the error is logged.',
    '- **Times of day** are local time in the hub\'s zone (`HUB_TIMEZONE`). A window that ends before it starts, such as 22:00–06:00, crosses midnight.',
    '- **Several residents (a couple):** a rule marked *per resident* runs for the wearer of the bracelet that spoke, and for each resident on a shared device (the door), each with their own thresholds and state; its alert names that resident. The other rules run once per home with the home\'s thresholds (and, in a home with one resident, that resident\'s); an alert from a bracelet names its wearer, one from a shared device in a couple\'s home names nobody and shows the home with its residents.',
    '- **Dedupe:** there is one open alert per (home, alert kind, resident named). A repeat is added to it as an occurrence, and raises its severity if the repeat is more urgent. Clear and back-online messages are added as notes. No rule ever closes an alert: a person resolves it.',
    '- **Homes being installed:** rules run the same way, but what they raise is recorded as a test event, not a real alert.',
    "- **Under overload** the hub sheds routine telemetry (kept only as a sign of life), but never a reading a rule raises an alert on: a heart rate of 0 or outside the wearer's `heart_rate` range, a battery below `low_battery`'s `belowPercent`, a gas reading with an LEL (hub/rules/telemetry-limits.ts, docs/ARCHITECTURE.md); nor a position fix from a home with an open high or critical alert (the alert's location follows it). A shed `steps` count or `worn` flag reaches its rule with the next processed reading.",
    '',
    '| rule | alert kind | usual severity | device kinds | runs |',
    '|---|---|---|---|---|',
    ...rules.map((r) => `| [${code(r.id)}](#${r.id}) | ${code(r.alertKind)} | ${r.severity} | ${r.on.deviceKinds.map(code).join(', ')} | ${r.perResident ? 'per resident' : 'per home'} |`),
  ];
  for (const rule of rules) {
    const params = paramDocs(rule);
    lines.push('', `## ${rule.id}`, '', rule.description, '', `- Alert kind: ${code(rule.alertKind)}, usual severity **${rule.severity}**`, `- Listens to: ${listensTo(rule)}`, '');
    if (params.length === 0) {
      lines.push('No parameters.');
      continue;
    }
    lines.push('| parameter | type | default | description |', '|---|---|---|---|');
    for (const p of params) lines.push(`| ${code(p.name)} | ${cell(p.type)} | ${code(JSON.stringify(p.default))} | ${cell(p.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}
