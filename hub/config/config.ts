/**
 * The hub's configuration: one zod schema derived from the settings table,
 * filled from CLI flags, then environment variables, then defaults. The result
 * is passed down explicitly; there is no settings singleton.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { SETTINGS, type SettingKey } from './settings.js';

const shape = Object.fromEntries(Object.entries(SETTINGS).map(([key, s]) => [key, s.schema])) as {
  [K in SettingKey]: (typeof SETTINGS)[K]['schema'];
};

export const configSchema = z.object(shape).strict();
export type HubConfig = z.infer<typeof configSchema>;

const SECRET_SETTINGS = new Set<string>(['adminPassword', 'webhookSecret', 'databaseUrl', 'metricsToken', 'redisUrl']);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
}

/** Reads flags and env; throws ConfigError listing every bad value and what to change. */
export function loadConfig({ argv = [], env = {} }: ConfigSources): HubConfig {
  const flags = readFlags(argv);
  const raw: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const fromFlag = flags[setting.flag];
    const fromEnv = env[setting.env];
    if (fromFlag !== undefined) {
      raw[key] = fromFlag;
      origin[key] = `--${setting.flag}`;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw[key] = fromEnv;
      origin[key] = setting.env;
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return checkTogether(parsed.data);
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]) as SettingKey;
      const setting = SETTINGS[key];
      const where = origin[key] ?? `${setting.env} / --${setting.flag}`;
      // Secrets are never echoed back, not even when they are wrong.
      const got = raw[key] === undefined ? '' : ` (got "${SECRET_SETTINGS.has(key) ? '***' : raw[key]}")`;
      return `${where} ${issue.message}${got}`;
    }),
  );
}

/** Rules between settings, which the per-setting schemas cannot see. */
function checkTogether(config: HubConfig): HubConfig {
  // A threshold at or below the interval would call every heartbeat late before the next one is even sent.
  if (config.pipelineStallMs <= config.heartbeatIntervalMs) {
    throw new ConfigError([`HUB_PIPELINE_STALL_MS (${config.pipelineStallMs}) must be longer than HUB_HEARTBEAT_INTERVAL_MS (${config.heartbeatIntervalMs})`]);
  }
  // Owners per partition need the shared database (leases, journal) and Redis (routing, hand-offs): alone it would be ignored silently.
  if (config.partitions === 'spread' && !(config.databaseUrl && config.redisUrl)) {
    throw new ConfigError(['HUB_PARTITIONS=spread needs HUB_DATABASE_URL and HUB_REDIS_URL (the nodes of a cluster share both); unset HUB_PARTITIONS to run this hub alone']);
  }
  return config;
}

function readFlags(argv: readonly string[]): Record<string, string | undefined> {
  const options = Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]));
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return values as Record<string, string | undefined>;
  } catch (err) {
    throw new ConfigError([`${(err as Error).message} — run with --help to list the options`]);
  }
}

export function configHelp(): string {
  const lines = Object.values(SETTINGS).map((s) => {
    const def = s.schema.safeParse(undefined);
    const shown = def.success && def.data !== undefined ? ` (default ${String(def.data)})` : '';
    return `  --${s.flag.padEnd(30)} ${s.env.padEnd(34)} ${s.hint}${shown}`;
  });
  return ['Usage: npm start -- [options]   (every option can also be set by its environment variable)', '', ...lines].join('\n');
}
