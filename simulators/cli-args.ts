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

export function parseCliArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliRequest {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    return { action: 'error', message: `${(err as Error).message} (see --help)` };
  }
  if (values.help) return { action: 'help', text: usage() };
  if (values.list) return { action: 'list' };
  if (values.scenario !== undefined) {
    const parsed = parseScenarioArgs(values, env);
    return 'error' in parsed ? { action: 'error', message: parsed.error } : { action: 'scenario', request: parsed.request };
  }

  const error = (message: string): CliRequest => ({ action: 'error', message });
  if (values.kind === undefined) return error(`--kind is required: one of ${DEVICE_KIND_NAMES.join(', ')}`);
  const kind = findDeviceKind(values.kind);
  if (!kind) return error(`unknown kind "${values.kind}": valid kinds are ${DEVICE_KIND_NAMES.join(', ')}`);
  if ((values.event === undefined) === (values.telemetry === undefined)) {
    return error(`give exactly one of --event <type> or --telemetry <json> (${kind.kind} events: ${kind.eventTypes.join(', ')})`);
  }
  if (values.event !== undefined && !kind.eventTypes.includes(values.event)) {
    return error(`unknown event "${values.event}" for ${kind.kind}: its events are ${kind.eventTypes.join(', ')}`);
  }
  if (values.device === undefined) return error('--device <id> is required');
  if (!isValidDeviceId(values.device)) return error(`invalid --device "${values.device}": 1–23 characters A–Z a–z 0–9 _ -`);
  if (values.secret === undefined) return error('--secret <secret> is required (shown once when the device was provisioned)');

  const portText = values.port ?? env.HUB_MQTT_PORT;
  const port = portText === undefined || portText === '' ? 1883 : parsePort(portText, values.port !== undefined ? '--port' : 'HUB_MQTT_PORT');
  if (typeof port === 'string') return error(port);

  let seq: number | undefined;
  if (values.seq !== undefined) {
    seq = Number(values.seq);
    if (!Number.isSafeInteger(seq) || seq < 0) return error(`--seq must be a whole number ≥ 0 (got "${values.seq}")`);
  }

  let fields: Record<string, unknown> = {};
  if (values.telemetry !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.telemetry);
    } catch (err) {
      return error(`--telemetry is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return error('--telemetry must be a JSON object');
    fields = { ...(parsed as Record<string, unknown>) };
  }
  for (const pair of values.field ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return error(`--field expects key=value (got "${pair}")`);
    fields[pair.slice(0, eq)] = fieldValue(pair.slice(eq + 1));
  }

  // The schemas strip unknown keys, so a misspelt field would vanish silently: refuse it here instead.
  const known = new Set([...Object.keys(commonFields), ...knownFields(kind, values.event)]);
  const unknown = Object.keys(fields).filter((f) => !known.has(f));
  if (unknown.length > 0) {
    const what = values.event === undefined ? `${kind.kind} telemetry` : `${kind.kind} event "${values.event}"`;
    return error(`unknown field ${unknown.map((f) => `"${f}"`).join(', ')} for ${what}: valid fields are ${[...known].join(', ')}`);
  }

  try {
    const common = { seq: seq ?? 0, ts: Date.now() };
    if (values.event === undefined) buildTelemetryPayload(kind, fields, common);
    else buildEventPayload(kind, values.event, fields, common);
  } catch (err) {
    if (err instanceof PayloadError) return error(`${err.what} is not valid: ${err.issues.map(formatIssue).join('; ')}`);
    throw err;
  }

  return {
    action: 'send',
    request: { kind, event: values.event, fields, deviceId: values.device, secret: values.secret, host: values.host, port, seq },
  };
}

function knownFields(kind: DeviceKind, event: string | undefined): string[] {
  if (event === undefined) return [...kind.telemetryFields];
  const schema = kind.eventSchemas.find((s) => s.shape.type.value === event);
  return Object.keys(schema?.shape ?? {}).filter((f) => f !== 'type');
}
