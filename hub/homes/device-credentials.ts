/**
 * The one-time credentials an installer gets for a device: secret, MQTT
 * connection settings and a QR code carrying them, for a phone app or the
 * device's setup tool to scan. Built only in the response that reveals the
 * secret; never stored, never logged.
 */
import QRCode from 'qrcode';
import { deviceTopic } from '../../devices/topics.js';

export interface MqttEndpoint {
  host: string;
  port: number;
  /** MQTT over TLS, when the hub serves it (HUB_TLS_CERT). */
  tlsPort?: number;
}

export interface DeviceCredentials {
  secret: string;
  mqtt: {
    host: string;
    port: number;
    tlsPort?: number;
    clientId: string;
    username: string;
    topics: { event: string; telemetry: string; status: string; cmd: string };
  };
  /** SVG of a QR code whose text is `{"v":1,"host","port","tlsPort"?,"clientId","username","password"}`. */
  qrSvg: string;
}

/** How a device connects: host, port, its client id / username and its topics. */
export function mqttSettings(deviceId: string, endpoint: MqttEndpoint): DeviceCredentials['mqtt'] {
  return {
    host: endpoint.host,
    port: endpoint.port,
    ...(endpoint.tlsPort !== undefined ? { tlsPort: endpoint.tlsPort } : {}),
    clientId: deviceId,
    username: deviceId,
    topics: { event: deviceTopic(deviceId, 'event'), telemetry: deviceTopic(deviceId, 'telemetry'), status: deviceTopic(deviceId, 'status'), cmd: deviceTopic(deviceId, 'cmd') },
  };
}

export async function deviceCredentials(deviceId: string, secret: string, endpoint: MqttEndpoint): Promise<DeviceCredentials> {
  const mqtt = mqttSettings(deviceId, endpoint);
  const qrText = JSON.stringify({ v: 1, host: mqtt.host, port: mqtt.port, ...(mqtt.tlsPort !== undefined ? { tlsPort: mqtt.tlsPort } : {}), clientId: deviceId, username: deviceId, password: secret });
  const qrSvg = await QRCode.toString(qrText, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, mqtt, qrSvg };
}
