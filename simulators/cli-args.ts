/**
 * Argument parsing for `npm run sim`, kept apart from the I/O so every bad
 * input maps to one clear line before anything connects.
 */
import { parseArgs } from 'node:util';
import { DEVICE_KINDS, DEVICE_KIND_NAMES, findDeviceKind, type DeviceKind } from '../devices/catalog.js';
import { commonFields } from '../devices/capabilities.js';
import { isValidDeviceId } from '../devices/topics.js';
import { buildEventPayload, buildTelemetryPayload, formatIssue, PayloadError } from './payloads.js';
import { parseScenarioArgs, SCENARIO_USAGE, type ScenarioRequest } from './scenario-args.js';

export interface SendRequest {
  kind: DeviceKind;
  /** An event type, or `undefined` for one telemetry message. */
  event: string | undefined;
  fields: Record<string, unknown>;
  deviceId: string;
  secret: string;
  host: string;
  port: number;
  seq: number | undefined;
}

export type CliRequest =
  | { action: 'help'; text: string }
  | { action: 'error'; message: string }
  | { action: 'send'; request: SendRequest }
  | { action: 'list' }
  | { action: 'scenario'; request: ScenarioRequest };

const OPTIONS = {
  kind: { type: 'string' },
  event: { type: 'string' },
  telemetry: { type: 'string' },
  device: { type: 'string' },
  secret: { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string' },
  field: { type: 'string', multiple: true },
  seq: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  list: { type: 'boolean' },
  scenario: { type: 'string' },
  home: { type: 'string' },
  credentials: { type: 'string' },
  speed: { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

export function usage(): string {
  const kinds = DEVICE_KINDS.map((k) => `    ${k.kind.padEnd(14)} events: ${k.eventTypes.join(', ')}`);
  return [
    'Sends one real device message over MQTT and waits for its PUBACK.',
    '',
    'Usage:',
    '  npm run sim -- --kind <kind> --event <type> --device <id> --secret <secret> [options]',
    '  npm run sim -- --kind <kind> --telemetry \'{"heartRate":130}\' --device <id> --secret <secret> [options]',
    ...SCENARIO_USAGE,
    '',
    'Options:',
    '  --kind <kind>          device kind (below)',
    '  --event <type>         event type to send (one of the kind\'s events)',
    '  --telemetry <json>     send one telemetry message with these fields instead of an event',
    '  --device <id>          device id (also the MQTT client id and username)',
    '  --secret <secret>      device secret shown at provisioning',
    '  --host <host>          hub MQTT host (default 127.0.0.1)',
    '  --port <port>          hub MQTT port (default $HUB_MQTT_PORT or 1883)',
    '  --field <key=value>    extra payload field, repeatable; value read as JSON if it parses (0.9, true, "12")',
    '  --seq <n>              message seq (default: seconds since the epoch, so it keeps increasing)',
    '  --list                 list the scenarios (declarative timelines of a home) and what each must raise',
    '  --scenario <name>      run a scenario in one home, with its devices from --credentials',
    '  --home <homeId>        the home to run it in',
    '  --credentials <file>   JSON with the home\'s device ids and secrets (npm run demo writes one)',
    '  --speed <n>            simulated time runs n times faster than real time (default 1)',
    '  --verbose              print every heartbeat too, not only the timeline',
    '  -h, --help             this text',
    '',
    'Kinds:',
    ...kinds,
    '',
    'Exit codes: 0 sent and acknowledged, 1 connection failed or refused, 2 bad arguments.',
  ].join('\n');
}

/** `0.9` → 0.9, `true` → true, `"12"` → "12", `lpg` → "lpg": JSON when it parses, else the text. */
function fieldValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function parsePort(text: string, source: string): number | string {
  const port = Number(text);
  return Number.isInteger(port) && port > 0 && port < 65_536 ? port : `${source} must be a port number 1–65535 (got "${text}")`;
}

type Env = Readonly<Record<string, string | undefined>>;

function readOptions(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
}

type Values = ReturnType<typeof readOptions>;

export function parseCliArgs(argv: readonly string[], env: Env): CliRequest {
  let values: Values;
  try {
    values = readOptions(argv);
  } catch (err) {
    return { action: 'error', message: `${(err as Error).message} (see --help)` };
  }
  if (values.help) return { action: 'help', text: usage() };
  if (values.list) return { action: 'list' };
  if (values.scenario !== undefined) {
    const parsed = parseScenarioArgs(values, env);
    return 'error' in parsed ? { action: 'error', message: parsed.error } : { action: 'scenario', request: parsed.request };
  }
  const send = parseSendArgs(values, env);
  return typeof send === 'string' ? { action: 'error', message: send } : { action: 'send', request: send };
}

/**
 * The one message to send, or the line saying what is wrong with the first bad
 * argument (checked in this order: kind, event, device, port, seq, fields).
 */
function parseSendArgs(values: Values, env: Env): SendRequest | string {
  const kind = checkKindAndEvent(values);
  if (typeof kind === 'string') return kind;
  const device = checkDevice(values);
  if (typeof device === 'string') return device;
  const port = mqttPort(values.port, env);
  if (typeof port === 'string') return port;
  const seq = parseSeq(values.seq);
  if (typeof seq === 'string') return seq;
  const fields = parseFields(values);
  if (typeof fields === 'string') return fields;
  const invalid = checkFields(kind, values.event, fields, seq);
  if (invalid !== undefined) return invalid;
  return { kind, event: values.event, fields, ...device, host: values.host, port, seq };
}

function checkKindAndEvent(values: Values): DeviceKind | string {
  if (values.kind === undefined) return `--kind is required: one of ${DEVICE_KIND_NAMES.join(', ')}`;
  const kind = findDeviceKind(values.kind);
  if (!kind) return `unknown kind "${values.kind}": valid kinds are ${DEVICE_KIND_NAMES.join(', ')}`;
  if ((values.event === undefined) === (values.telemetry === undefined)) {
    return `give exactly one of --event <type> or --telemetry <json> (${kind.kind} events: ${kind.eventTypes.join(', ')})`;
  }
  if (values.event !== undefined && !kind.eventTypes.includes(values.event)) {
    return `unknown event "${values.event}" for ${kind.kind}: its events are ${kind.eventTypes.join(', ')}`;
  }
  return kind;
}

function checkDevice(values: Values): { deviceId: string; secret: string } | string {
  if (values.device === undefined) return '--device <id> is required';
  if (!isValidDeviceId(values.device)) return `invalid --device "${values.device}": 1–23 characters A–Z a–z 0–9 _ -`;
  if (values.secret === undefined) return '--secret <secret> is required (shown once when the device was provisioned)';
  return { deviceId: values.device, secret: values.secret };
}

/** --port, else $HUB_MQTT_PORT, else 1883. */
function mqttPort(flag: string | undefined, env: Env): number | string {
  const portText = flag ?? env.HUB_MQTT_PORT;
  return portText === undefined || portText === '' ? 1883 : parsePort(portText, flag !== undefined ? '--port' : 'HUB_MQTT_PORT');
}

function parseSeq(text: string | undefined): number | undefined | string {
  if (text === undefined) return undefined;
  const seq = Number(text);
  if (!Number.isSafeInteger(seq) || seq < 0) return `--seq must be a whole number ≥ 0 (got "${text}")`;
  return seq;
}

/** The payload's fields: --telemetry's object, then each --field key=value over it. */
function parseFields(values: Values): Record<string, unknown> | string {
  let fields: Record<string, unknown> = {};
  if (values.telemetry !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.telemetry);
    } catch (err) {
      return `--telemetry is not valid JSON: ${(err as Error).message}`;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return '--telemetry must be a JSON object';
    fields = { ...(parsed as Record<string, unknown>) };
  }
  for (const pair of values.field ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return `--field expects key=value (got "${pair}")`;
    fields[pair.slice(0, eq)] = fieldValue(pair.slice(eq + 1));
  }
  return fields;
}

/** Undefined when the fields make a valid payload of this kind; else what is wrong. */
function checkFields(kind: DeviceKind, event: string | undefined, fields: Record<string, unknown>, seq: number | undefined): string | undefined {
  // The schemas strip unknown keys, so a misspelt field would vanish silently: refuse it here instead.
  const known = new Set([...Object.keys(commonFields), ...knownFields(kind, event)]);
  const unknown = Object.keys(fields).filter((f) => !known.has(f));
  if (unknown.length > 0) {
    const what = event === undefined ? `${kind.kind} telemetry` : `${kind.kind} event "${event}"`;
    return `unknown field ${unknown.map((f) => `"${f}"`).join(', ')} for ${what}: valid fields are ${[...known].join(', ')}`;
  }
  try {
    const common = { seq: seq ?? 0, ts: Date.now() };
    if (event === undefined) buildTelemetryPayload(kind, fields, common);
    else buildEventPayload(kind, event, fields, common);
  } catch (err) {
    if (err instanceof PayloadError) return `${err.what} is not valid: ${err.issues.map(formatIssue).join('; ')}`;
    throw err;
  }
  return undefined;
}

function knownFields(kind: DeviceKind, event: string | undefined): string[] {
  if (event === undefined) return [...kind.telemetryFields];
  const schema = kind.eventSchemas.find((s) => s.shape.type.value === event);
  return Object.keys(schema?.shape ?? {}).filter((f) => f !== 'type');
}
