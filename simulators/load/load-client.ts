/**
 * One lean mqtt.js connection for a load device. Unlike SimulatedDevice it has
 * no timers, no behaviour and no schema checks: the load generator drives
 * thousands of these from one process and decides itself when each sends.
 */
import { createConnection } from 'node:net';
import { MqttClient, type IClientOptions } from 'mqtt';

export interface LoadEndpoint {
  host: string;
  port: number;
  /**
   * Source address to connect from (any 127.x.y.z on Linux loopback). One
   * source address has ~28k ephemeral ports towards one listener
   * (ip_local_port_range 32768–60999), so 40k devices need two.
   */
  localAddress?: string;
}

export interface LoadCredentials {
  deviceId: string;
  secret: string;
}

/** Resolves with a connected client, or rejects with the CONNACK refusal or socket error. */
export function connectLoadClient(endpoint: LoadEndpoint, creds: LoadCredentials, timeoutMs = 30_000): Promise<MqttClient> {
  const options: IClientOptions = {
    clientId: creds.deviceId,
    username: creds.deviceId,
    password: creds.secret,
    protocolVersion: 4,
    clean: true,
    keepalive: 300,
    connectTimeout: timeoutMs,
    reconnectPeriod: 0,
    resubscribe: false,
  };
  // mqtt.js's own TCP builder neither disables Nagle nor takes a source address. Nagle on
  // the device side delays back-to-back QoS 1 publishes just like on the broker side
  // (DESIGN.md §10), which would make every target look slower than it is.
  const client = new MqttClient(
    () => createConnection({ host: endpoint.host, port: endpoint.port, noDelay: true, ...(endpoint.localAddress ? { localAddress: endpoint.localAddress } : {}) }),
    options,
  );
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      client.removeListener('connect', ok);
      client.end(true);
      reject(err);
    };
    const ok = () => {
      client.removeListener('error', fail);
      client.removeListener('close', closed);
      // Later errors (a hub dropping us under overload) are counted by the pool, not thrown.
      client.on('error', () => undefined);
      resolve(client);
    };
    const closed = () => fail(new Error('connection closed before CONNACK'));
    client.once('connect', ok);
    client.once('error', fail);
    client.once('close', closed);
  });
}
