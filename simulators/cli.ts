/**
 * `npm run sim -- --kind bracelet --event sos --device <id> --secret <s>`:
 * sends one real device message over MQTT, waits for the PUBACK and prints
 * one line. Exit 0 sent, 1 connection failed or refused, 2 bad arguments.
 */
import { performance } from 'node:perf_hooks';
import { parseCliArgs, type SendRequest } from './cli-args.js';
import { explainConnectError } from './connack.js';
import { listScenarios } from './scenario-args.js';
import { runScenarioCommand } from './scenario-cli.js';
import { SimulatedDevice } from './simulated-device.js';

/** A CLI should fail fast: a hub that has not answered in 5 s is not going to. */
const TIMEOUT_MS = 5_000;

class CliFailure extends Error {}

async function send(request: SendRequest): Promise<string> {
  const device = new SimulatedDevice({
    host: request.host,
    port: request.port,
    deviceId: request.deviceId,
    secret: request.secret,
    kind: request.kind,
    // One message, nothing else: no heartbeats, no status, no battery guess, no retries.
    heartbeats: false,
    announceStatus: false,
    reportBattery: false,
    reconnectPeriodMs: 0,
    connectTimeoutMs: TIMEOUT_MS,
    ...(request.seq !== undefined ? { seqStart: request.seq } : {}),
  });
  device.start();
  try {
    try {
      await device.waitForConnect(TIMEOUT_MS);
    } catch (err) {
      throw new CliFailure(explainConnectError(err as Error, request.host, request.port, TIMEOUT_MS));
    }
    let timer: NodeJS.Timeout | undefined;
    // Without reconnects a dropped connection would leave the PUBACK pending forever: fail on close instead.
    const lost = new Promise<never>((_, reject) => {
      device.once('close', () =>
        reject(new CliFailure('the hub closed the connection before the PUBACK (ACL violation or rate limit? see the hub log)')),
      );
      timer = setTimeout(() => reject(new CliFailure(`no PUBACK within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    });
    const started = performance.now();
    const sending =
      request.event === undefined
        ? device.sendTelemetry(request.fields, { qos: 1 })
        : device.sendEvent(request.event, request.fields);
    // If `lost` wins, stop() later fails the pending publish: that rejection is expected, not a crash.
    sending.catch(() => undefined);
    try {
      const sent = await Promise.race([sending, lost]);
      const ms = Math.round(performance.now() - started);
      return `sent ${request.event ?? 'telemetry'} from ${request.deviceId} (seq ${sent.seq}), PUBACK received in ${ms} ms`;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    device.removeAllListeners('close');
    await device.stop();
  }
}

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const parsed = parseCliArgs(argv, env);
  if (parsed.action === 'help') {
    console.log(parsed.text);
    return 0;
  }
  if (parsed.action === 'error') {
    console.error(`sim: ${parsed.message}`);
    return 2;
  }
  if (parsed.action === 'list') {
    console.log(listScenarios());
    return 0;
  }
  if (parsed.action === 'scenario') {
    try {
      return await runScenarioCommand(parsed.request, env);
    } catch (err) {
      const e = err as Error;
      console.error(`sim: ${explainConnectError(e, parsed.request.host, parsed.request.port, TIMEOUT_MS)}`);
      return 1;
    }
  }
  try {
    console.log(await send(parsed.request));
    return 0;
  } catch (err) {
    console.error(`sim: ${err instanceof CliFailure ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
