/**
 * A device kind is data: its events, telemetry fields and defaults, composed
 * from capability pieces. `defineDeviceKind` turns that data into the schemas
 * the hub validates with and the docs are generated from.
 */
import { z } from 'zod';
import { CMD_ACK_EVENT, commonFields, type Capability, type EventSchema } from './capabilities.js';
import type { CommandName } from './commands.js';

export interface DeviceKindSpec {
  /** Catalogue name, as sent by installers: `bracelet`, `gas_alarm`, … */
  kind: string;
  /** Short prefix of generated device ids (`brc-1a2b3c4d`). */
  idPrefix: string;
  title: string;
  /** How often a healthy device says something; offline after 3 × this. */
  heartbeatSec: number;
  capabilities: readonly Capability[];
  /** Events of this kind only (the capabilities add theirs). */
  events: readonly EventSchema[];
  /** Telemetry fields of this kind only. */
  telemetry: z.ZodRawShape;
  /**
   * Events that are emergencies: the hub writes them to its journal and fsyncs
   * before the device gets its PUBACK (DESIGN.md §6).
   */
  alarmEvents: readonly string[];
  /** Kind-specific defaults used by rules (e.g. the fall cancel window). */
  settings?: Readonly<Record<string, number>>;
  /**
   * Events an installer must trigger on the device before its home can go
   * live (the commissioning checklist): proof that each alarm path works.
   */
  commissioningEvents: readonly string[];
  /**
   * The commands the device carries out. A kind that takes any must have the
   * `commands` capability, so it can confirm them with `cmd_ack`.
   */
  commands: readonly CommandName[];
  /** Valid payloads, used by the catalogue test, docs and simulators. */
  examples: { events: readonly unknown[]; telemetry: readonly unknown[] };
}

export interface DeviceKind {
  kind: string;
  idPrefix: string;
  title: string;
  heartbeatSec: number;
  capabilities: readonly string[];
  eventTypes: readonly string[];
  telemetryFields: readonly string[];
  alarmEvents: ReadonlySet<string>;
  settings: Readonly<Record<string, number>>;
  commissioningEvents: readonly string[];
  commands: ReadonlySet<CommandName>;
  /** Discriminated on `type`. */
  eventSchema: z.ZodType<DeviceEventPayload>;
  telemetrySchema: z.ZodType<TelemetryPayload>;
  /** The individual event schemas, for documentation and JSON Schema export. */
  eventSchemas: readonly EventSchema[];
  examples: DeviceKindSpec['examples'];
}

/** What every validated event looks like to the hub. */
export interface DeviceEventPayload {
  type: string;
  ts?: number | undefined;
  seq?: number | undefined;
  battery?: number | undefined;
  [field: string]: unknown;
}

export interface TelemetryPayload {
  ts?: number | undefined;
  seq?: number | undefined;
  battery?: number | undefined;
  [field: string]: unknown;
}

export function defineDeviceKind(spec: DeviceKindSpec): DeviceKind {
  const eventSchemas = [...spec.events, ...spec.capabilities.flatMap((c) => c.events)];
  const eventTypes = eventSchemas.map((s) => s.shape.type.value);
  const duplicate = eventTypes.find((t, i) => eventTypes.indexOf(t) !== i);
  if (duplicate) throw new Error(`device kind ${spec.kind}: event type "${duplicate}" is declared twice`);
  for (const event of [...spec.alarmEvents, ...spec.commissioningEvents]) {
    if (!eventTypes.includes(event)) throw new Error(`device kind ${spec.kind}: "${event}" is not one of its events`);
  }
  if (spec.commands.length > 0 && !eventTypes.includes(CMD_ACK_EVENT)) {
    throw new Error(`device kind ${spec.kind}: it takes commands, so it needs the commands capability (${CMD_ACK_EVENT})`);
  }
  const [first, ...rest] = eventSchemas;
  if (!first) throw new Error(`device kind ${spec.kind}: no events`);
  const telemetryShape = Object.assign({}, ...spec.capabilities.map((c) => c.telemetry), spec.telemetry) as z.ZodRawShape;
  return {
    kind: spec.kind,
    idPrefix: spec.idPrefix,
    title: spec.title,
    heartbeatSec: spec.heartbeatSec,
    capabilities: spec.capabilities.map((c) => c.name),
    eventTypes,
    telemetryFields: Object.keys(telemetryShape),
    alarmEvents: new Set(spec.alarmEvents),
    settings: spec.settings ?? {},
    commissioningEvents: spec.commissioningEvents,
    commands: new Set(spec.commands),
    eventSchema: z.discriminatedUnion('type', [first, ...rest]) as unknown as z.ZodType<DeviceEventPayload>,
    telemetrySchema: z.object({ ...commonFields, ...telemetryShape }) as unknown as z.ZodType<TelemetryPayload>,
    eventSchemas,
    examples: spec.examples,
  };
}
