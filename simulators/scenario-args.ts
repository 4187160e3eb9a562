/**
 * `npm run sim -- --scenario <name> --home <homeId> --credentials <file> [--speed 60]`:
 * argument checks for running a scenario. Device secrets are shown only once,
 * at provisioning, so the home's devices come from a credentials file — the
 * one `npm run demo` writes, or one an installer saved:
 *   { "mqtt": { "host": "127.0.0.1", "port": 1883 },
 *     "homes": [ { "homeId": "…", "devices": [ { "deviceId": "brc-…", "kind": "bracelet", "secret": "…" } ] } ] }
 */
import { readFileSync } from 'node:fs';
import type { Role } from './household/actions.js';
import { ROLE_KIND, ROLES } from './household/actions.js';
import type { DeviceCredentials } from './household/household.js';
import { findScenario, SCENARIOS, type Scenario } from './scenarios/index.js';

export interface ScenarioRequest {
  scenario: Scenario;
  homeId: string;
  devices: Partial<Record<Role, DeviceCredentials>>;
  host: string;
  port: number;
  speed: number;
  verbose: boolean;
}

export interface CredentialsFile {
  mqtt?: { host?: string; port?: number };
  homes: { homeId: string; devices: { deviceId: string; kind: string; secret: string }[] }[];
}

export interface ScenarioFlags {
  scenario?: string | undefined;
  home?: string | undefined;
  credentials?: string | undefined;
  speed?: string | undefined;
  host?: string | undefined;
  port?: string | undefined;
  verbose?: boolean | undefined;
}

export const SCENARIO_USAGE = [
  '  npm run sim -- --list',
  '  npm run sim -- --scenario <name> --home <homeId> --credentials <file.json> [--speed 60] [--port <mqtt port>]',
];

export function parseScenarioArgs(flags: ScenarioFlags, env: Readonly<Record<string, string | undefined>>): { request: ScenarioRequest } | { error: string } {
  const scenario = findScenario(flags.scenario ?? '');
  if (!scenario) return { error: `unknown scenario "${flags.scenario}": one of ${SCENARIOS.map((s) => s.name).join(', ')} (see --list)` };
  if (!flags.home) return { error: '--home <homeId> is required with --scenario' };
  if (!flags.credentials) return { error: '--credentials <file.json> is required: device secrets are shown only once, at provisioning (npm run demo writes such a file)' };
  let file: CredentialsFile;
  try {
    file = JSON.parse(readFileSync(flags.credentials, 'utf8')) as CredentialsFile;
  } catch (err) {
    return { error: `cannot read --credentials ${flags.credentials}: ${(err as Error).message}` };
  }
  const home = file.homes?.find((h) => h.homeId === flags.home);
  if (!home) return { error: `home "${flags.home}" is not in ${flags.credentials}` };
  const devices: Partial<Record<Role, DeviceCredentials>> = {};
  for (const role of ROLES) {
    const d = home.devices.find((x) => x.kind === ROLE_KIND[role]);
    if (d) devices[role] = { deviceId: d.deviceId, secret: d.secret };
  }
  const speed = Number(flags.speed ?? '1');
  if (!Number.isFinite(speed) || speed <= 0 || speed > 10_000) return { error: `--speed must be a number above 0 and at most 10000 (got "${flags.speed}")` };
  const portText = flags.port ?? (file.mqtt?.port !== undefined ? String(file.mqtt.port) : undefined) ?? env.HUB_MQTT_PORT ?? '1883';
  const port = Number(portText);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) return { error: `--port must be a port number 1–65535 (got "${portText}")` };
  return {
    request: { scenario, homeId: home.homeId, devices, host: flags.host ?? file.mqtt?.host ?? '127.0.0.1', port, speed, verbose: flags.verbose ?? false },
  };
}

/** `npm run sim -- --list`: one block per scenario. */
export function listScenarios(): string {
  return SCENARIOS.map((s) => {
    const raises = s.expect.raises.length ? s.expect.raises.map((r) => `${r.kind}${r.severity ? ` (${r.severity})` : ''}`).join(', ') : 'nothing';
    const lines = [`${s.name.padEnd(20)} ${s.title} — starts ${s.startsAt}, lasts ${s.duration.slice(1)}; must raise: ${raises}`, `${' '.repeat(21)}${s.description}`];
    if (s.hubClock) lines.push(`${' '.repeat(21)}note: ${s.hubClock}`);
    return lines.join('\n');
  }).join('\n');
}
