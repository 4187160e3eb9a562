/**
 * Issue 7 item 1, the comparison run: the MQTT conformance cases
 * (tests/conformance/mqtt-suite.ts) against the hub's conformance profile and
 * against Mosquitto, side by side, with the known differences explained.
 *
 *   npx tsx tests/long/conformance.ts [--port N]   (N: a running `npm run broker:conformance`; default: start one in-process)
 *                                     [--mosquitto 1883]
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { startConformanceBroker } from '../../hub/tools/broker-conformance.js';
import { runSuite, type CaseResult } from '../conformance/mqtt-suite.js';
import { isMain, report } from './lib/cli.js';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

export async function runConformance(options: { port?: number; mosquitto?: number } = {}): Promise<{ hub: CaseResult[]; mosquitto: CaseResult[] | null }> {
  const own = options.port === undefined ? await startConformanceBroker({ port: 0 }) : undefined;
  try {
    const hub = await runSuite({ kind: 'hub', port: options.port ?? own!.address.port });
    const mport = options.mosquitto ?? 1883;
    const mosquitto = (await reachable(mport)) ? await runSuite({ kind: 'mosquitto', port: mport }) : null;
    return { hub, mosquitto };
  } finally {
    await own?.stop();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: 'string' }, mosquitto: { type: 'string' } }, strict: true });
  const { hub, mosquitto } = await runConformance({
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values.mosquitto ? { mosquitto: Number(values.mosquitto) } : {}),
  });
  const mark = (r: CaseResult | undefined) => (!r ? 'not run' : r.pass ? (r.why ? 'pass (known difference)' : 'pass') : 'FAIL');
  process.stdout.write(`${'case'.padEnd(40)} ${'hub'.padEnd(26)} mosquitto\n`);
  for (const r of hub) process.stdout.write(`${r.name.padEnd(40)} ${mark(r).padEnd(26)} ${mark(mosquitto?.find((m) => m.name === r.name))}\n`);
  if (!mosquitto) process.stdout.write('(no broker on the Mosquitto port: comparison skipped)\n');
  const differences = [...hub, ...(mosquitto ?? [])].filter((r) => r.why).map((r) => `${r.name}: ${r.why}`);
  const failures = [...hub, ...(mosquitto ?? [])].filter((r) => !r.pass).map((r) => ({ name: r.name, observed: r.observed, expected: r.expected }));
  await report(
    'conformance',
    { cases: hub.length, hubPassed: hub.filter((r) => r.pass).length, mosquittoPassed: mosquitto ? mosquitto.filter((r) => r.pass).length : null, knownDifferences: differences, failures },
    failures.length === 0,
  );
}
