/**
 * The `npm run sim` CLI against a real, bare Aedes broker on a loopback port:
 * one message sent and acknowledged, one line printed, and the exit codes and
 * messages for bad arguments, nothing listening and a refused connection.
 * The simulated device itself: simulators.test.ts.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_KINDS } from '../devices/catalog.js';
import { onTopic, startBareBroker } from './helpers/bare-broker.js';

const root = new URL('..', import.meta.url).pathname;

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  // Reverse order: devices before the broker before the server.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const startBroker = (secrets: Record<string, string>) => startBareBroker(secrets, cleanups);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, HUB_MQTT_PORT: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('npm run sim', () => {
  it('sends one sos that the broker sees, waits for its PUBACK and prints one line', async () => {
    const tb = await startBroker({ 'brc-cli1': 'pw' });
    const result = await runCli(['--kind', 'bracelet', '--event', 'sos', '--device', 'brc-cli1', '--secret', 'pw', '--port', String(tb.port), '--seq', '7']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^sent sos from brc-cli1 \(seq 7\), PUBACK received in \d+ ms\n$/);
    const events = onTopic(tb, 'hc/v1/brc-cli1/event');
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.payload ?? '')).toMatchObject({ type: 'sos', seq: 7, ts: expect.any(Number) });
    // A one-shot sender claims nothing it does not know: no battery, no status, no heartbeat.
    expect(JSON.parse(events[0]?.payload ?? '')).not.toHaveProperty('battery');
    expect(tb.seen).toHaveLength(1);
  });

  it('sends one telemetry message with fields, taking the port from HUB_MQTT_PORT', async () => {
    const tb = await startBroker({ 'brc-cli2': 'pw' });
    const result = await runCli(
      ['--kind', 'bracelet', '--telemetry', '{"heartRate":130}', '--field', 'worn=true', '--device', 'brc-cli2', '--secret', 'pw'],
      { HUB_MQTT_PORT: String(tb.port) },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^sent telemetry from brc-cli2 \(seq \d+\), PUBACK received in \d+ ms\n$/);
    const telemetry = onTopic(tb, 'hc/v1/brc-cli2/telemetry');
    expect(telemetry.map((s) => JSON.parse(s.payload) as unknown)).toEqual([expect.objectContaining({ heartRate: 130, worn: true })]);
    expect(telemetry[0]?.qos).toBe(1);
  });

  it('exits 2 listing the kinds for an unknown kind', async () => {
    const result = await runCli(['--kind', 'toaster', '--event', 'sos', '--device', 'x', '--secret', 'y']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    for (const kind of DEVICE_KINDS) expect(result.stderr).toContain(kind.kind);
  });

  it('exits 2 with the zod path and message for a field the schema refuses', async () => {
    const result = await runCli(['--kind', 'bracelet', '--event', 'fall', '--field', 'confidence=1.5', '--device', 'brc-1', '--secret', 'y']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/confidence: .*1/);
  });

  it('exits 1 with a clear message when nothing listens on the port', async () => {
    const port = await freePort();
    const result = await runCli(['--kind', 'bracelet', '--event', 'sos', '--device', 'brc-1', '--secret', 'y', '--port', String(port)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sim: nothing listening on 127.0.0.1:${port} — is the hub running? set --port to the hub's MQTT port\n`);
  });

  it('exits 1 naming CONNACK 4 and its meaning for a wrong secret', async () => {
    const tb = await startBroker({ 'brc-cli3': 'pw' });
    const result = await runCli(['--kind', 'bracelet', '--event', 'sos', '--device', 'brc-cli3', '--secret', 'nope', '--port', String(tb.port)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/CONNACK 4 .*wrong device id or secret/);
    expect(tb.seen).toEqual([]);
  });
});
