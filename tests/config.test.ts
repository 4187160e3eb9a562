/** Configuration: one zod schema, fixed defaults and env names, matching CLI flags, readable errors. */
import { describe, expect, it } from 'vitest';
import { ConfigError, configHelp, loadConfig } from '../hub/config/config.js';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has the fixed defaults', () => {
    const config = loadConfig({});
    expect(config.adminPassword).toBeUndefined();
    expect(config).toMatchObject({
      mqttPort: 1883,
      httpPort: 8080,
      host: '127.0.0.1',
      dataDir: './data',
      timezone: 'Asia/Shanghai',
      maxPacketBytes: 16_384,
    });
  });

  it('reads the fixed environment variable names', () => {
    const config = loadConfig({
      env: {
        HUB_MQTT_PORT: '0',
        HUB_HTTP_PORT: '9090',
        HUB_HOST: '0.0.0.0',
        HUB_DATA_DIR: '/var/lib/hub',
        HUB_ADMIN_PASSWORD: 'correct horse',
        HUB_TIMEZONE: 'Europe/Madrid',
      },
    });
    expect(config).toMatchObject({ mqttPort: 0, httpPort: 9090, host: '0.0.0.0', dataDir: '/var/lib/hub', adminPassword: 'correct horse', timezone: 'Europe/Madrid' });
  });

  it('lets a CLI flag override its environment variable', () => {
    const config = loadConfig({ argv: ['--mqtt-port', '2883', '--data-dir=/tmp/x'], env: { HUB_MQTT_PORT: '1999', HUB_DATA_DIR: '/nope' } });
    expect(config.mqttPort).toBe(2883);
    expect(config.dataDir).toBe('/tmp/x');
  });

  it('names every bad value, where it came from and what is allowed', () => {
    const found = problems(() =>
      loadConfig({ argv: ['--http-port', '70000'], env: { HUB_MQTT_PORT: 'abc', HUB_TIMEZONE: 'Mars/Olympus', HUB_ADMIN_PASSWORD: 'short' } }),
    );
    expect(found).toHaveLength(4);
    expect(found).toContainEqual(expect.stringMatching(/^HUB_MQTT_PORT must be a port number 0–65535.*got "abc"/));
    expect(found).toContainEqual(expect.stringMatching(/^--http-port must be a port number 0–65535.*got "70000"/));
    expect(found).toContainEqual(expect.stringMatching(/^HUB_TIMEZONE must be an IANA time zone/));
    // A rejected password is never echoed back.
    expect(found).toContainEqual('HUB_ADMIN_PASSWORD must be at least 8 characters (got "***")');
  });

  it('takes HUB_DATABASE_URL as a postgres:// URL and never echoes a refused one (it may carry a password)', () => {
    expect(loadConfig({ env: { HUB_DATABASE_URL: 'postgres://hub:pw@db:5432/hub' } }).databaseUrl).toBe('postgres://hub:pw@db:5432/hub');
    expect(loadConfig({ env: {} }).databaseUrl).toBeUndefined();
    expect(problems(() => loadConfig({ env: { HUB_DATABASE_URL: 'mysql://hub:s3cret@db/hub' } }))).toEqual([
      'HUB_DATABASE_URL must be a postgres:// URL, e.g. postgres://hub@127.0.0.1:5432/hub (got "***")',
    ]);
  });

  it('takes HUB_LEADER_LEASE_MS in whole milliseconds, at least 1000 (default 10 s)', () => {
    expect(loadConfig({}).leaderLeaseMs).toBe(10_000);
    expect(loadConfig({ env: { HUB_LEADER_LEASE_MS: '4000' } }).leaderLeaseMs).toBe(4_000);
    expect(problems(() => loadConfig({ env: { HUB_LEADER_LEASE_MS: '500' } }))).toEqual(['HUB_LEADER_LEASE_MS must be at least 1000 (ms) (got "500")']);
    expect(problems(() => loadConfig({ argv: ['--leader-lease-ms', '10s'] }))).toEqual([expect.stringMatching(/^--leader-lease-ms must be a whole number of milliseconds, at least 1000 \(got "10s"\)/)]);
  });

  it('rejects unknown flags with a pointer to --help', () => {
    expect(problems(() => loadConfig({ argv: ['--mqtt-prot', '1'] }))[0]).toMatch(/--mqtt-prot.*--help/);
  });

  it('documents every env variable and flag in --help', () => {
    const help = configHelp();
    for (const name of ['HUB_MQTT_PORT', 'HUB_HTTP_PORT', 'HUB_HOST', 'HUB_DATA_DIR', 'HUB_ADMIN_PASSWORD', 'HUB_TIMEZONE', '--mqtt-port', '--data-dir']) {
      expect(help).toContain(name);
    }
    expect(help).toContain('(default 1883)');
  });
});
