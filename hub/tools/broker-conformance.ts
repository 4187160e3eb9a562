/**
 * `npm run broker:conformance -- [--port N]` (issue 7): the hub's MQTT broker
 * alone, in its conformance profile, so a third-party MQTT 3.1.1 test suite
 * (e.g. the Eclipse Paho interoperability tests) can be pointed at it:
 * - loopback only (127.0.0.1), whatever HUB_HOST says;
 * - anonymous access, any topic (conformancePolicy in hub/broker/access-policy.ts);
 * - the normal limits on: packet guard, pre-CONNACK budget, connect timeout,
 *   per-IP connection and per-client publish rates (HUB_* variables as for `npm start`);
 * - SUBACK 0x80 for a subscription to `test/nosubscribe`.
 * No registry, no journal, no HTTP. Refusals are logged on stderr.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { conformancePolicy } from '../broker/access-policy.js';
import { MqttBroker, type BrokerSettings } from '../broker/mqtt-broker.js';
import { loadConfig } from '../config/config.js';
import { createLogger, silentLogger, type Logger } from '../core/logger.js';

const USAGE = 'usage: broker-conformance [--port N]  (default 1884; 0 picks a free port; listens on 127.0.0.1 only)';

export interface ConformanceBroker {
  broker: MqttBroker;
  address: AddressInfo;
  stop(): Promise<void>;
}

/** Starts the conformance profile; `limits` override the hub's defaults (tests raise the connection rate). */
export async function startConformanceBroker(options: { port: number; limits?: Partial<BrokerSettings>; log?: Logger }): Promise<ConformanceBroker> {
  const defaults = loadConfig({ env: {} });
  const log = options.log ?? silentLogger();
  const broker = new MqttBroker({
    settings: { ...defaults, ...options.limits, host: '127.0.0.1', mqttPort: options.port },
    access: conformancePolicy(),
    // No device can authenticate in this profile; the policy never hands a message to ingest.
    registry: { deviceSecretValid: () => false },
    onDeviceMessage: () => undefined,
    audit: (action, actor, detail) => log.info({ action, actor, ...detail }, 'refused'),
    log,
  });
  const address = await broker.start();
  return { broker, address, stop: () => broker.stop() };
}

async function main(): Promise<void> {
  let port: number;
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    port = Number(values.port ?? 1884);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error('bad port');
  } catch {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  // Limits from the same HUB_* variables as the hub (their defaults otherwise).
  const config = loadConfig({ env: process.env });
  const log = createLogger(config.logLevel);
  let started: ConformanceBroker;
  try {
    started = await startConformanceBroker({
      port,
      log,
      limits: {
        maxPacketBytes: config.maxPacketBytes,
        preConnackBytes: config.preConnackBytes,
        connectTimeoutMs: config.connectTimeoutMs,
        connectionsPerIpPerSec: config.connectionsPerIpPerSec,
        publishesPerDevicePerSec: config.publishesPerDevicePerSec,
      },
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`broker-conformance: cannot listen on 127.0.0.1:${port} (${e.code ?? e.message}): choose another --port\n`);
    process.exit(1);
  }
  process.stdout.write(`MQTT conformance broker listening on mqtt://127.0.0.1:${started.address.port} (anonymous; SUBACK 0x80 for test/nosubscribe)\n`);
  const stop = () => void started.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
