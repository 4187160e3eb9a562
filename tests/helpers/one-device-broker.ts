/**
 * A bare MqttBroker on 127.0.0.1:0 that knows one device, and that device's
 * raw MQTT connection (conformance/raw-client.ts): the harness of the
 * broker-level tests of the alarms-first path (alarms-first, delayed-acks).
 * Both are closed after each test.
 */
import type { AddressInfo } from 'node:net';
import type { IPubackPacket } from 'mqtt-packet';
import { afterEach, expect } from 'vitest';
import type { MqttBrokerDeps } from '../../hub/broker/broker-options.js';
import { MqttBroker } from '../../hub/broker/mqtt-broker.js';
import { loadConfig } from '../../hub/config/config.js';
import { silentLogger } from '../../hub/core/logger.js';
import { RawClient } from '../conformance/raw-client.js';

const SECRET = 'right';

/** What a test chooses; the settings, the one-device registry, audit and log are the harness's. */
export type OneDeviceBrokerDeps = Omit<MqttBrokerDeps, 'settings' | 'registry' | 'audit' | 'log'>;

export interface OneDeviceBroker {
  /** The running test's broker (throws before start). */
  readonly broker: MqttBroker;
  /** The running test's device connection (throws before connect). */
  readonly client: RawClient;
  start(deps: OneDeviceBrokerDeps): Promise<AddressInfo>;
  /** Connects the device (CONNACK 0 checked); `onPuback` is told each PUBACK's packet id, in order. */
  connect(port: number, options?: { keepalive?: number; onPuback?: (packetId: number) => void }): Promise<RawClient>;
  /** Stops the broker now (for a test of what stopping does). */
  stopBroker(): Promise<void>;
}

export function useOneDeviceBroker(deviceId: string): OneDeviceBroker {
  let broker: MqttBroker | undefined;
  let client: RawClient | undefined;
  afterEach(async () => {
    client?.destroy();
    await broker?.stop();
    broker = client = undefined;
  });
  return {
    get broker() {
      if (!broker) throw new Error('useOneDeviceBroker: start() first');
      return broker;
    },
    get client() {
      if (!client) throw new Error('useOneDeviceBroker: connect() first');
      return client;
    },
    async start(deps) {
      const defaults = loadConfig({ env: {} });
      broker = new MqttBroker({
        settings: { ...defaults, host: '127.0.0.1', mqttPort: 0, publishesPerDevicePerSec: 10_000 },
        registry: { deviceSecretValid: (id, secret) => id === deviceId && secret === SECRET },
        audit: () => undefined,
        log: silentLogger(),
        ...deps,
      });
      return broker.start();
    },
    async connect(port, { keepalive = 30, onPuback } = {}) {
      client = await RawClient.open({ port });
      const connack = await client.connect({ clientId: deviceId, username: deviceId, password: Buffer.from(SECRET), keepalive });
      expect(connack.returnCode).toBe(0);
      if (onPuback) client.onPacket = (p) => p.cmd === 'puback' && onPuback((p as IPubackPacket).messageId!);
      return client;
    },
    async stopBroker() {
      await broker?.stop();
      broker = undefined;
    },
  };
}
