/**
 * JSON Schema for every payload of the device protocol, generated from the
 * same zod schemas the hub validates with, so the published contract cannot
 * drift from the code (DESIGN.md §3). Pure: `write-schemas.ts` does the I/O and
 * the catalogue test compares the committed files with this output.
 */
import { z } from 'zod';
import { DEVICE_KINDS } from '../catalog.js';
import { commandSchema } from '../commands.js';
import { STATUS_PAYLOADS } from '../topics.js';

/** The plain-text payload of the retained status topic, described as a schema for completeness. */
const statusSchema = z.enum(STATUS_PAYLOADS);

/**
 * `io: 'input'` describes what the hub accepts rather than what it keeps:
 * unknown extra fields are ignored (stripped), not refused, so a newer device
 * firmware with extra fields still talks to an older hub.
 */
function toJsonSchema(schema: z.ZodType, title: string, description: string): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  // Fixed key order at the top so the files read the same way and diff cleanly.
  return { $schema, title, description, ...rest };
}

/** Two-space indent and a trailing newline: the committed form, so git diffs are meaningful. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** File name (inside docs/schemas/) → file content, in a stable order. */
export function buildSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const kind of DEVICE_KINDS) {
    files[`${kind.kind}.event.json`] = formatJson(
      toJsonSchema(
        kind.eventSchema,
        `${kind.kind} event`,
        `${kind.title}: one event, published on hc/v1/<deviceId>/event with QoS 1. Discriminated on \`type\`.`,
      ),
    );
    files[`${kind.kind}.telemetry.json`] = formatJson(
      toJsonSchema(
        kind.telemetrySchema,
        `${kind.kind} telemetry`,
        `${kind.title}: periodic readings, published on hc/v1/<deviceId>/telemetry with QoS 0 or 1 at least every ${kind.heartbeatSec} s.`,
      ),
    );
  }
  files['command.json'] = formatJson(
    toJsonSchema(commandSchema, 'command', 'Hub → device command, received on hc/v1/<deviceId>/cmd with QoS 1.'),
  );
  files['status.json'] = formatJson(toJsonSchema(
      statusSchema,
      'status',
      'Payload of hc/v1/<deviceId>/status. Plain text, not JSON. Published retained with QoS 1: `online` after every connect, `offline` as the last will and before a clean disconnect.',
    ));
  return files;
}
