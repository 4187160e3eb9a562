/**
 * `npm start`: reads the configuration, starts the hub, prints one line per
 * listener, and shuts down cleanly on SIGINT / SIGTERM. Every start-up problem
 * is one line saying what to change — never a stack trace. An unexpected
 * error later is one fatal log line and exit code 70, for the supervisor to
 * restart the hub (hub/core/last-resort.ts, docs/DEPLOY.md).
 */
import { configHelp, ConfigError, loadConfig, type HubConfig } from './config/config.js';
import { StartupError } from './core/data-dir.js';
import { CRASH_EXIT_CODE, exitOnUnexpectedError } from './core/last-resort.js';
import { createLogger, type Logger } from './core/logger.js';
import { Hub } from './hub.js';
import type { StandbyTailStats } from './storage/ports.js';

function fail(message: string, code = 2): never {
  process.stderr.write(`hub: ${message}\n`);
  process.exit(code);
}

/** Turns a start-up error into the one line the user needs. */
export function explainStartError(err: unknown, config: HubConfig): string {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (err instanceof StartupError) return err.message;
  if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
    const port = e.port;
    const [which, fix] =
      port === config.mqttPort
        ? ['MQTT port', 'HUB_MQTT_PORT or --mqtt-port']
        : port === config.mqttsPort
          ? ['MQTT TLS port', 'HUB_MQTTS_PORT or --mqtts-port']
          : [port === config.httpPort ? 'HTTP port' : 'port', 'HUB_HTTP_PORT or --http-port'];
    const problem = e.code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges this user does not have';
    return `${which} ${port} on ${config.host} ${problem}: set ${fix} to a free port (0 picks one)`;
  }
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
    return `cannot listen on ${config.host} (${e.code}): set HUB_HOST or --host to an address of this machine, e.g. 127.0.0.1`;
  }
  return `could not start: ${e.message ?? String(err)}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${configHelp()}\n`);
    return;
  }
  const config = readConfig(argv);
  const log = createLogger(config.logLevel);
  exitOnUnexpectedError(log);
  const hub = createHub(config, log);
  let started;
  try {
    started = await hub.start();
  } catch (err) {
    fail(explainStartError(err, config), 1);
  }
  // Before the start lines: whoever reads them may signal at once (a supervisor, a test), and a
  // SIGTERM that arrived before its handler would kill the process instead of stopping it.
  handleSignals(hub, log);
  // One write for every start line: a supervisor or test that reads the
  // listener lines then gets the admin password in the same chunk (a pipe
  // write under 4 KiB is atomic), never a moment later.
  process.stdout.write(`${startLines(started).join('\n')}\n`);
}

function readConfig(argv: string[]): HubConfig {
  try {
    return loadConfig({ argv, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) fail(`invalid configuration: ${err.message}`);
    throw err;
  }
}

function createHub(config: HubConfig, log: Logger): Hub {
  const hub = new Hub({
    config,
    log,
    // A cluster node that now leads says so on stdout, like the listeners (and shows a generated admin password once).
    onLeading: ({ generatedAdminPassword, journal }) => {
      const lines = [`Cluster node ${hub.ops.nodeId} leads the cluster: pipeline running${journal ? ` (${describeTakeover(journal)})` : ''}`];
      if (generatedAdminPassword) lines.push(`First start: created user "admin" with password ${generatedAdminPassword} (shown only this once)`);
      process.stdout.write(`${lines.join('\n')}\n`);
    },
    // Leadership lost or a pipeline that cannot start: the fatal line is logged; exit so the supervisor restarts a standby.
    onFatal: () => process.exit(CRASH_EXIT_CODE),
  });
  return hub;
}

/** What the promotion replayed: a standby follows the journal, so only the lines after its last read remain (docs/CLUSTER.md "Read replicas"). */
function describeTakeover({ lines, linesAfterLock, replayAfterLockMs }: StandbyTailStats): string {
  return `journal: ${lines} lines followed as a standby, ${linesAfterLock ?? 0} replayed after the lock in ${Math.round(replayAfterLockMs ?? 0)} ms`;
}

/** SIGINT / SIGTERM stop the hub once and exit; SIGHUP reloads the certificates. */
function handleSignals(hub: Hub, log: Logger): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    hub.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Renewed certificates without a restart; open connections stay up. (Without a handler SIGHUP would end the hub.)
  process.on('SIGHUP', () => void hub.reloadTls());
}

/** One line per listener, and the first start's admin password. */
function startLines(started: Awaited<ReturnType<Hub['start']>>): string[] {
  const lines = [`MQTT broker listening on mqtt://${started.mqtt.address}:${started.mqtt.port}`];
  if (started.mqtts) lines.push(`MQTT broker listening on mqtts://${started.mqtts.address}:${started.mqtts.port} (TLS)`);
  lines.push(`HTTP API and console listening on ${started.https ? 'https' : 'http'}://${started.http.address}:${started.http.port}`);
  if (started.generatedAdminPassword) {
    lines.push(`First start: created user "admin" with password ${started.generatedAdminPassword} (shown only this once)`);
  }
  return lines;
}

main().catch((err: unknown) => fail(`unexpected error: ${(err as Error).message}`, 1));
