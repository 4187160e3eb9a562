/**
 * Baseline 2: Mosquitto (already running on 127.0.0.1:1883) with a separate
 * Node subscriber that runs the hub's per-message checks — topic grammar,
 * JSON, the kind's zod schema — and forwards alarms to a WebSocket. This is
 * the "broker + outside consumer" design the hub deliberately avoids
 * (DESIGN.md §10).
 */
import { createConnection } from 'node:net';
import { MqttClient } from 'mqtt';
import { findDeviceKind } from '../../devices/catalog.js';
import { parseTopic } from '../../devices/topics.js';
import { kindOfDeviceId } from '../../simulators/load/load-payloads.js';
import { startAlarmPush } from './alarm-push.js';

const url = new URL(process.env.MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1883');
const push = await startAlarmPush();
let invalid = 0;

// noDelay on our side, as the hub and the load devices have it; Mosquitto's own side keeps its
// default (set_tcp_nodelay false): the baseline is Mosquitto as installed.
const client = new MqttClient(() => createConnection({ host: url.hostname, port: Number(url.port), noDelay: true }), {
  clientId: `bench-sub-${process.pid}`,
  clean: true,
  protocolVersion: 4,
  reconnectPeriod: 0,
});
await new Promise<void>((resolve, reject) => {
  client.once('connect', () => resolve());
  client.once('error', reject);
});
client.on('message', (topic, payload) => {
  push.countDelivered();
  const parsed = parseTopic(topic);
  const kind = parsed && findDeviceKind(kindOfDeviceId(parsed.deviceId) ?? '');
  if (!parsed || !kind) return void invalid++;
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return void invalid++;
  }
  const schema = parsed.channel === 'event' ? kind.eventSchema : kind.telemetrySchema;
  const result = schema.safeParse(body);
  if (!result.success) return void invalid++;
  const data = result.data as { type?: string; seq?: number };
  if (data.type === 'sos' && data.seq !== undefined) push.alarm(parsed.deviceId, data.seq);
});
await client.subscribeAsync(['hc/v1/+/telemetry', 'hc/v1/+/event'], { qos: 1 });
process.stdout.write(`subscribed to ${url}\nalarm push listening on ws://127.0.0.1:${push.port}\n`);

const shutdown = () => {
  if (invalid > 0) process.stderr.write(`mosquitto subscriber: ${invalid} invalid messages\n`);
  push.close();
  client.end(true, () => process.exit(0));
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
