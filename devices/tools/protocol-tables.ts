/**
 * The per-kind reference section of docs/PROTOCOL.md, rendered from the
 * catalogue so device makers read exactly what the hub validates. The section
 * sits between two marker comments; `write-schemas.ts` splices it in and the
 * catalogue test fails if the committed document differs.
 */
import { z } from 'zod';
import { DEVICE_KINDS, type DeviceKind } from '../catalog.js';
import { commonFields } from '../capabilities.js';

export const GENERATED_BEGIN = '<!-- BEGIN GENERATED: device kinds — edit devices/kinds/*.ts and run `npm run schemas` -->';
export const GENERATED_END = '<!-- END GENERATED: device kinds -->';

type JsonSchema = {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  description?: string;
};

const COMMON = new Set(['type', ...Object.keys(commonFields)]);

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;
}

/** A short human reading of a JSON Schema type: `integer 0–300`, `"lpg" / "co"`, `{ room }`. */
export function describeType(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' / ');
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return alternatives.map(describeType).join(' or ');
  switch (s.type) {
    case 'object': {
      const required = new Set(s.required ?? []);
      const keys = Object.keys(s.properties ?? {}).map((k) => (required.has(k) ? k : `${k}?`));
      return `{ ${keys.join(', ')} }`;
    }
    case 'number':
    case 'integer': {
      // zod's int() emits MAX_SAFE_INTEGER as the upper bound: not worth printing.
      const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
      if (s.minimum !== undefined && max !== undefined) return `${s.type} ${s.minimum}–${max}`;
      if (s.minimum !== undefined) return `${s.type} ≥ ${s.minimum}`;
      if (max !== undefined) return `${s.type} ≤ ${max}`;
      return s.type;
    }
    case 'string':
      return s.maxLength !== undefined ? `string ≤ ${s.maxLength} chars` : 'string';
    default:
      return s.type ?? 'any';
  }
}

/** Markdown table cells must not contain raw pipes or newlines. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function eventRows(kind: DeviceKind): string[] {
  return kind.eventSchemas.map((schema) => {
    const json = jsonSchemaOf(schema);
    const type = schema.shape.type.value;
    const required = new Set(json.required ?? []);
    const fields = Object.entries(json.properties ?? {})
      .filter(([name]) => !COMMON.has(name))
      .map(([name, prop]) => {
        const optional = required.has(name) ? '' : ', optional';
        const meaning = prop.description ? `: ${prop.description}` : '';
        return `\`${name}\` (${describeType(prop)}${optional})${meaning}`;
      });
    const alarm = kind.alarmEvents.has(type) ? '**yes**' : '';
    return `| \`${type}\` | ${alarm} | ${cell(fields.join('; ') || '—')} | ${cell(json.description ?? '')} |`;
  });
}

function telemetryRows(kind: DeviceKind): string[] {
  const properties = jsonSchemaOf(kind.telemetrySchema).properties ?? {};
  return kind.telemetryFields.map((name) => {
    const prop = properties[name] ?? {};
    return `| \`${name}\` | ${cell(describeType(prop))} | ${cell(prop.description ?? '')} |`;
  });
}

function renderKind(kind: DeviceKind): string {
  const alarms = [...kind.alarmEvents].map((t) => `\`${t}\``).join(', ');
  const settings = Object.entries(kind.settings).map(([k, v]) => `\`${k}\` = ${v}`);
  const lines = [
    `### \`${kind.kind}\` — ${kind.title}`,
    '',
    `- Device ids: \`${kind.idPrefix}-…\` (issued by the installer's provisioning screen).`,
    `- Heartbeat: at least one message every **${kind.heartbeatSec} s**; the hub marks the device offline after **${3 * kind.heartbeatSec} s** (3 × heartbeat) without any message.`,
    `- Alarm events (journalled and fsync'd before the PUBACK): ${alarms || 'none'}.`,
    `- Commands it takes (see [Commands](#commands); confirm each with \`cmd_ack\`): ${[...kind.commands].map((c) => `\`${c}\``).join(', ') || 'none'}.`,
    ...(settings.length > 0 ? [`- Hub-side settings: ${settings.join(', ')}.`] : []),
    `- JSON Schema: [${kind.kind}.event.json](schemas/${kind.kind}.event.json), [${kind.kind}.telemetry.json](schemas/${kind.kind}.telemetry.json).`,
    '',
    '| event `type` | alarm | fields besides `type`, `ts`, `seq`, `battery` | meaning |',
    '|---|---|---|---|',
    ...eventRows(kind),
    '',
  ];
  if (kind.telemetryFields.length > 0) {
    lines.push('| telemetry field | type | meaning |', '|---|---|---|', ...telemetryRows(kind), '');
  } else {
    lines.push(
      'No telemetry fields of its own: a telemetry message carrying only the common fields (e.g. `{"seq": 12, "battery": 64}`) is its heartbeat.',
      '',
    );
  }
  lines.push(
    'Example payloads (each one whole message):',
    '',
    ...kind.examples.events.map((e) => `- event: \`${JSON.stringify(e)}\``),
    ...kind.examples.telemetry.map((t) => `- telemetry: \`${JSON.stringify(t)}\``),
    '',
  );
  return lines.join('\n');
}

/** The generated section, markers included. */
export function renderKindSection(kinds: readonly DeviceKind[] = DEVICE_KINDS): string {
  return [GENERATED_BEGIN, '', ...kinds.map(renderKind), GENERATED_END].join('\n');
}

/** Replaces the generated section of `doc`; throws if the markers are missing so nothing is silently appended. */
export function spliceKindSection(doc: string, section: string = renderKindSection()): string {
  const begin = doc.indexOf(GENERATED_BEGIN);
  const end = doc.indexOf(GENERATED_END);
  if (begin < 0 || end < begin) {
    throw new Error(`docs/PROTOCOL.md has no generated section: add the lines\n${GENERATED_BEGIN}\n${GENERATED_END}`);
  }
  return doc.slice(0, begin) + section + doc.slice(end + GENERATED_END.length);
}
