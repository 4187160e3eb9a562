/**
 * The MQTT topic grammar of the device protocol (docs/PROTOCOL.md §Topics).
 *
 * Topics carry the device id only: the hub maps device → home → resident, so a
 * bracelet can move to another home without being reflashed.
 */

export const TOPIC_ROOT = 'hc/v1';

/** Channels a device publishes on. */
export const UPLINK_CHANNELS = ['event', 'telemetry', 'status'] as const;
export type UplinkChannel = (typeof UPLINK_CHANNELS)[number];

/** The one channel a device subscribes to. */
export const COMMAND_CHANNEL = 'cmd' as const;
export type Channel = UplinkChannel | typeof COMMAND_CHANNEL;

/**
 * Device ids are short and topic-safe: no `/`, `+`, `#` or `$`, and at most 23
 * characters so that even MQTT 3.1 clients (client id limit 23) can use them.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,23}$/;

export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID_PATTERN.test(id);
}

export function deviceTopic(deviceId: string, channel: Channel): string {
  return `${TOPIC_ROOT}/${deviceId}/${channel}`;
}

export interface ParsedTopic {
  deviceId: string;
  channel: Channel;
}

/** Parses `hc/v1/<deviceId>/<channel>`; anything else is `null`. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 4) return null;
  const [root, version, deviceId, channel] = parts;
  if (`${root}/${version}` !== TOPIC_ROOT || deviceId === undefined || !isValidDeviceId(deviceId)) return null;
  if (channel === 'event' || channel === 'telemetry' || channel === 'status' || channel === 'cmd') {
    return { deviceId, channel };
  }
  return null;
}

/** Payloads of the retained status topic (plain text, not JSON; also the last will). */
export const STATUS_PAYLOADS = ['online', 'offline'] as const;
export type StatusPayload = (typeof STATUS_PAYLOADS)[number];
