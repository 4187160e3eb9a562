/**
 * Catalogue-wide checks over every device kind (the zigbee-herdsman-converters
 * `checks.test.ts` pattern): a new kind gets all of them for free.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEVICE_KINDS, DEVICE_KIND_NAMES, findDeviceKind } from '../devices/catalog.js';
import { CMD_ACK_EVENT } from '../devices/capabilities.js';
import { commandSchema } from '../devices/commands.js';
import { defineDeviceKind } from '../devices/define-kind.js';
import { deviceTopic, parseTopic, STATUS_PAYLOADS, UPLINK_CHANNELS, COMMAND_CHANNEL } from '../devices/topics.js';
import { buildSchemaFiles } from '../devices/tools/json-schemas.js';
import { GENERATED_BEGIN, GENERATED_END, renderKindSection } from '../devices/tools/protocol-tables.js';

const root = join(import.meta.dirname, '..');
const protocol = readFileSync(join(root, 'docs', 'PROTOCOL.md'), 'utf8');
const kinds = DEVICE_KINDS.map((k) => [k.kind, k] as const);

describe.each(kinds)('device kind %s', (_name, kind) => {
  it('parses every example event and telemetry payload', () => {
    expect(kind.examples.events.length).toBeGreaterThan(0);
    for (const example of kind.examples.events) expect(kind.eventSchema.safeParse(example).error).toBeUndefined();
    for (const example of kind.examples.telemetry) expect(kind.telemetrySchema.safeParse(example).error).toBeUndefined();
  });

  it('has an example for every event type', () => {
    const exampled = new Set(kind.examples.events.map((e) => (e as { type: string }).type));
    expect(kind.eventTypes.filter((t) => !exampled.has(t))).toEqual([]);
  });

  it('refuses bad event payloads', () => {
    const bad: unknown[] = [
      { type: 'no_such_event' },
      {},
      { type: kind.eventTypes[0], seq: 'seven' },
      { type: kind.eventTypes[0], seq: -1 },
      { type: kind.eventTypes[0], ts: 1.5 },
      { type: kind.eventTypes[0], battery: 101 },
      { type: kind.eventTypes[0], battery: -1 },
      'sos',
      42,
      null,
      [{ type: kind.eventTypes[0] }],
    ];
    for (const payload of bad) expect(kind.eventSchema.safeParse(payload).success, JSON.stringify(payload)).toBe(false);
  });

  it('refuses bad telemetry payloads', () => {
    const bad: unknown[] = [{ battery: 101 }, { battery: '80' }, { seq: 1.5 }, 'online', 42, null, []];
    for (const field of kind.telemetryFields) bad.push({ [field]: 'not-a-valid-value-of-any-type' });
    for (const payload of bad) expect(kind.telemetrySchema.safeParse(payload).success, JSON.stringify(payload)).toBe(false);
  });

  it('has unique event types and declares alarm events among them', () => {
    expect(new Set(kind.eventTypes).size).toBe(kind.eventTypes.length);
    for (const alarm of kind.alarmEvents) expect(kind.eventTypes).toContain(alarm);
  });

  it('confirms the commands it takes with cmd_ack {cmdId}, which is never an alarm', () => {
    expect(kind.commands.size).toBeGreaterThan(0);
    expect(kind.commands).toContain('configure');
    expect(kind.capabilities).toContain('commands');
    expect(kind.alarmEvents.has(CMD_ACK_EVENT)).toBe(false);
    expect(kind.eventSchema.safeParse({ type: CMD_ACK_EVENT, cmdId: 'cmd-0123456789abcdef' }).success).toBe(true);
    expect(kind.eventSchema.safeParse({ type: CMD_ACK_EVENT }).success).toBe(false);
    expect(kind.eventSchema.safeParse({ type: CMD_ACK_EVENT, cmdId: '' }).success).toBe(false);
    expect(protocol).toContain(`Commands it takes (see [Commands](#commands); confirm each with \`cmd_ack\`): ${[...kind.commands].map((c) => `\`${c}\``).join(', ')}.`);
  });

  it('has a positive heartbeat and a topic-safe id prefix', () => {
    expect(kind.heartbeatSec).toBeGreaterThan(0);
    expect(kind.idPrefix).toMatch(/^[a-z]{2,5}$/);
  });

  it('exports its schemas to JSON Schema', () => {
    const events = z.toJSONSchema(kind.eventSchema, { io: 'input' });
    expect(events.oneOf).toHaveLength(kind.eventTypes.length);
    const telemetry = z.toJSONSchema(kind.telemetrySchema, { io: 'input' });
    expect(Object.keys(telemetry.properties ?? {})).toEqual(expect.arrayContaining(['ts', 'seq', 'battery', ...kind.telemetryFields]));
    for (const schema of kind.eventSchemas) expect(z.toJSONSchema(schema).properties).toHaveProperty('type');
  });

  it('is documented in PROTOCOL.md: kind, every event type and every telemetry field', () => {
    expect(protocol).toContain(`\`${kind.kind}\``);
    for (const type of kind.eventTypes) expect(protocol, type).toContain(`\`${type}\``);
    for (const field of kind.telemetryFields) expect(protocol, field).toContain(`\`${field}\``);
    expect(protocol).toContain(`**${kind.heartbeatSec} s**`);
  });
});

describe('catalogue', () => {
  it('has unique kind names and id prefixes', () => {
    expect(new Set(DEVICE_KIND_NAMES).size).toBe(DEVICE_KINDS.length);
    expect(new Set(DEVICE_KINDS.map((k) => k.idPrefix)).size).toBe(DEVICE_KINDS.length);
  });

  it('holds the four mission kinds and finds them by name', () => {
    expect(DEVICE_KIND_NAMES).toEqual(expect.arrayContaining(['bracelet', 'gas_alarm', 'smoke_sensor', 'door_sensor']));
    for (const kind of DEVICE_KINDS) expect(findDeviceKind(kind.kind)).toBe(kind);
    expect(findDeviceKind('toaster')).toBeUndefined();
  });

  it('marks the emergencies of DESIGN.md §4 as alarm events', () => {
    const alarms = DEVICE_KINDS.flatMap((k) => [...k.alarmEvents]).sort();
    expect(alarms).toEqual(['fall', 'gas', 'smoke', 'sos']);
  });

  it('refuses a kind that takes commands but cannot confirm them', () => {
    const spec = { kind: 'lamp', idPrefix: 'lmp', title: 'Lamp', heartbeatSec: 60, capabilities: [], events: [], telemetry: {}, alarmEvents: [], commissioningEvents: [], examples: { events: [], telemetry: [] } };
    expect(() => defineDeviceKind({ ...spec, commands: ['configure'] })).toThrow(/needs the commands capability \(cmd_ack\)/);
  });

  it('sends help_coming only to bracelets, silence only to sirens', () => {
    expect(DEVICE_KINDS.filter((k) => k.commands.has('help_coming')).map((k) => k.kind)).toEqual(['bracelet']);
    expect(DEVICE_KINDS.filter((k) => k.commands.has('silence')).map((k) => k.kind).sort()).toEqual(['gas_alarm', 'smoke_sensor']);
  });

  it('exports the command schema to JSON Schema', () => {
    expect(z.toJSONSchema(commandSchema).oneOf).toHaveLength(3);
    expect(commandSchema.safeParse({ cmd: 'help_coming', cmdId: 'cmd-1', alertId: 'a1' }).success).toBe(true);
    // Every command carries the id its cmd_ack echoes (issue 10).
    expect(commandSchema.safeParse({ cmd: 'help_coming', alertId: 'a1' }).success).toBe(false);
    expect(commandSchema.safeParse({ cmd: 'configure', cmdId: 'cmd-1', heartbeatSec: 5 }).success).toBe(false);
    expect(commandSchema.safeParse({ cmd: 'reboot' }).success).toBe(false);
  });
});

describe('generated docs', () => {
  const schemasDir = join(root, 'docs', 'schemas');
  const generated = buildSchemaFiles();

  it('docs/schemas/ holds exactly what `npm run schemas` generates now', () => {
    expect(readdirSync(schemasDir).filter((f) => f.endsWith('.json')).sort()).toEqual(Object.keys(generated).sort());
    for (const [name, content] of Object.entries(generated)) {
      expect(readFileSync(join(schemasDir, name), 'utf8'), `${name} is stale: run npm run schemas`).toBe(content);
    }
  });

  it('generates an event and a telemetry schema per kind, the command and the status', () => {
    const names = DEVICE_KINDS.flatMap((k) => [`${k.kind}.event.json`, `${k.kind}.telemetry.json`]);
    expect(Object.keys(generated)).toEqual([...names, 'command.json', 'status.json']);
    const status = JSON.parse(generated['status.json'] ?? '{}') as { type?: string; enum?: unknown };
    expect(status).toMatchObject({ type: 'string', enum: [...STATUS_PAYLOADS] });
    for (const content of Object.values(generated)) {
      expect(content.endsWith('}\n')).toBe(true);
      expect(content).toBe(`${JSON.stringify(JSON.parse(content), null, 2)}\n`);
    }
  });

  it('is deterministic', () => {
    expect(buildSchemaFiles()).toEqual(generated);
  });

  it("PROTOCOL.md's device tables are the generated ones", () => {
    const begin = protocol.indexOf(GENERATED_BEGIN);
    const end = protocol.indexOf(GENERATED_END);
    expect(begin).toBeGreaterThan(0);
    expect(protocol.slice(begin, end + GENERATED_END.length), 'stale: run npm run schemas').toBe(renderKindSection());
  });

  it('PROTOCOL.md links every schema file', () => {
    for (const kind of DEVICE_KINDS) {
      expect(protocol).toContain(`(schemas/${kind.kind}.event.json)`);
      expect(protocol).toContain(`(schemas/${kind.kind}.telemetry.json)`);
    }
    expect(protocol).toContain('(schemas/command.json)');
    expect(protocol).toContain('(schemas/status.json)');
  });
});

describe('topic grammar', () => {
  const channels = [...UPLINK_CHANNELS, COMMAND_CHANNEL];

  it.each(channels)('round-trips deviceTopic/parseTopic on %s', (channel) => {
    for (const deviceId of ['brc-1a2b3c4d', 'a', 'A_b-9', 'x'.repeat(23)]) {
      const topic = deviceTopic(deviceId, channel);
      expect(topic).toBe(`hc/v1/${deviceId}/${channel}`);
      expect(parseTopic(topic)).toEqual({ deviceId, channel });
    }
  });

  it.each([
    'hc/v1/a/b/event',
    'hc/v1/+/event',
    'hc/v1/#',
    'hc/v1/dev#/event',
    'hc/v2/x/event',
    'hc/v1/x/other',
    'hc/v1//event',
    'hc/v1/$SYS/event',
    'hc/v1/x/event/',
    '/hc/v1/x/event',
    `hc/v1/${'x'.repeat(24)}/event`,
    'HC/V1/x/event',
    '',
  ])('rejects %j', (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });
});
