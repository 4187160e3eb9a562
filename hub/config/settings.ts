/**
 * Every hub setting in one table: its key, environment variable, CLI flag,
 * zod schema (with its default) and a hint. The config schema, the env/flag
 * reader and the `--help` text are all derived from this table, so they
 * cannot drift apart.
 */
import { z } from 'zod';
import { DEFAULT_FOLLOW_UP_MINUTES, DEFAULT_ON_SCENE_MINUTES, parseMinutesBySeverity, type MinutesBySeverity } from './follow-up-times.js';
import { parseNetworkList } from '../core/network-list.js';
import { NODE_ID_PATTERN } from '../core/node-id.js';

const port = z.coerce
  .number({ error: 'must be a port number 0–65535 (0 picks a free port)' })
  .int('must be a whole port number 0–65535')
  .min(0, 'must be a port number 0–65535 (0 picks a free port)')
  .max(65_535, 'must be a port number 0–65535 (0 picks a free port)');

const positiveInt = (hint: string) =>
  z.coerce.number({ error: `must be ${hint}` }).int(`must be ${hint}`).positive(`must be ${hint}`);

function isKnownTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Comma-separated IP addresses and networks (CIDR), e.g. 10.0.0.0/8,fd00::/8 (core/network-list.ts). */
const networkList = z
  .string()
  .superRefine((text, ctx) => {
    const parsed = parseNetworkList(text);
    if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of IP addresses or networks: ${parsed.problem}` });
  })
  .optional();

/** `critical=10,high=15,…` minutes per severity (`off` for none); severities left out keep their default. */
const minutesBySeverity = (defaults: MinutesBySeverity) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      const parsed = parseMinutesBySeverity(text, defaults);
      if ('problem' in parsed) {
        ctx.addIssue({ code: 'custom', message: `must be like critical=10,high=15 (minutes per severity, or off): ${parsed.problem}` });
        return z.NEVER;
      }
      return parsed;
    });

export const SETTINGS = {
  mqttPort: { env: 'HUB_MQTT_PORT', flag: 'mqtt-port', schema: port.default(1883), hint: 'MQTT listener port' },
  httpPort: { env: 'HUB_HTTP_PORT', flag: 'http-port', schema: port.default(8080), hint: 'HTTP/WebSocket port (HTTPS/wss with HUB_TLS_CERT)' },
  // TLS (issue 10 item 9). Paths are checked when the hub starts, so the error names the file.
  mqttsPort: { env: 'HUB_MQTTS_PORT', flag: 'mqtts-port', schema: port.default(8883), hint: 'MQTT over TLS listener port (with HUB_TLS_CERT and HUB_TLS_KEY)' },
  tlsCert: {
    env: 'HUB_TLS_CERT',
    flag: 'tls-cert',
    schema: z.string().min(1, 'must be the path of a PEM file').optional(),
    hint: "PEM file of the hub's certificate (and chain); with HUB_TLS_KEY: MQTT over TLS, HTTPS and wss; reloaded on SIGHUP",
  },
  tlsKey: {
    env: 'HUB_TLS_KEY',
    flag: 'tls-key',
    schema: z.string().min(1, 'must be the path of a PEM file').optional(),
    hint: 'PEM file of the private key of HUB_TLS_CERT (unencrypted; keep it 0600)',
  },
  tlsCa: {
    env: 'HUB_TLS_CA',
    flag: 'tls-ca',
    schema: z.string().min(1, 'must be the path of a PEM file').optional(),
    hint: 'PEM file of the CA that signs device client certificates (optional; their CN must be the device id)',
  },
  host: {
    env: 'HUB_HOST',
    flag: 'host',
    schema: z.string().min(1, 'must be a host name or IP address').default('127.0.0.1'),
    hint: 'address both listeners bind to',
  },
  publicMqttHost: {
    env: 'HUB_PUBLIC_MQTT_HOST',
    flag: 'public-mqtt-host',
    schema: z.string().min(1).optional(),
    hint: 'MQTT host name given to devices at provisioning (default: --host)',
  },
  dataDir: {
    env: 'HUB_DATA_DIR',
    flag: 'data-dir',
    schema: z.string().min(1, 'must be a directory path').default('./data'),
    hint: 'where the registry files and the journal live',
  },
  backupDir: {
    env: 'HUB_BACKUP_DIR',
    flag: 'backup-dir',
    schema: z.string().min(1, 'must be a directory path').optional(),
    hint: 'where `npm run backup -- --out <dir>/<name>` puts backups: the admin status page reports the newest and its age (issue 13)',
  },
  databaseUrl: {
    env: 'HUB_DATABASE_URL',
    flag: 'database-url',
    // Never echoed in a config error (it may carry a password): see SECRET_SETTINGS in config.ts.
    schema: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL, e.g. postgres://hub@127.0.0.1:5432/hub').optional(),
    hint: 'PostgreSQL for the registry and journal (docs/DEPLOY.md); unset: files under the data dir',
  },
  // Cluster (issue 12): several nodes share MQTT routing and sessions through Redis.
  redisUrl: {
    env: 'HUB_REDIS_URL',
    flag: 'redis-url',
    // Never echoed in a config error (it may carry a password): see SECRET_SETTINGS in config.ts.
    schema: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// (or rediss://) URL, e.g. redis://127.0.0.1:6379/0').optional(),
    hint: 'Redis shared by the nodes of a cluster: MQTT routing, session takeover, commands to devices on other nodes (docs/CLUSTER.md); unset: the hub runs alone',
  },
  redisPrefix: {
    env: 'HUB_REDIS_PREFIX',
    flag: 'redis-prefix',
    // Redis pub/sub channels ignore the database index: two clusters on one Redis need different prefixes.
    schema: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1–64 letters, digits or :_.-').default('hub:'),
    hint: "prefix of the cluster's Redis keys and channels (one per cluster sharing a Redis server)",
  },
  trustedProxies: {
    env: 'HUB_TRUSTED_PROXIES',
    flag: 'trusted-proxies',
    // Only these peers' X-Forwarded-For is believed (hub/api/client-address.ts): a client must not pick its own address.
    schema: networkList,
    hint: 'addresses or networks of the cluster nodes that forward consoles to this one, e.g. 10.0.0.0/24: their X-Forwarded-For names the client for login limits (unset: the socket address)',
  },
  adminPassword: {
    env: 'HUB_ADMIN_PASSWORD',
    flag: 'admin-password',
    schema: z.string().min(8, 'must be at least 8 characters').optional(),
    hint: 'password of the first admin user (generated and printed once if unset)',
  },
  timezone: {
    env: 'HUB_TIMEZONE',
    flag: 'timezone',
    schema: z.string().refine(isKnownTimezone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
    hint: 'time zone for times of day in rules',
  },
  logLevel: {
    env: 'HUB_LOG_LEVEL',
    flag: 'log-level',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    hint: 'log level (logs go to stderr as JSON lines)',
  },
  maxPacketBytes: {
    env: 'HUB_MAX_PACKET_BYTES',
    flag: 'max-packet-bytes',
    schema: positiveInt('a positive number of bytes').default(16 * 1024),
    hint: 'largest MQTT packet accepted; a larger one drops the connection',
  },
  preConnackBytes: {
    env: 'HUB_PRE_CONNACK_BYTES',
    flag: 'pre-connack-bytes',
    schema: positiveInt('a positive number of bytes').default(16 * 1024),
    hint: 'bytes a connection may send before it is authenticated',
  },
  connectTimeoutMs: {
    env: 'HUB_CONNECT_TIMEOUT_MS',
    flag: 'connect-timeout-ms',
    schema: positiveInt('a positive number of milliseconds').default(5_000),
    hint: 'time allowed between TCP accept and a complete CONNECT',
  },
  connectionsPerIpPerSec: {
    env: 'HUB_CONNECTIONS_PER_IP_PER_SEC',
    flag: 'connections-per-ip-per-sec',
    // A load test connects thousands of devices from one address: raise this there.
    schema: positiveInt('a positive number of connections per second').default(50),
    hint: 'new MQTT connections accepted per second from one IP (burst: 2 × this)',
  },
  publishesPerDevicePerSec: {
    env: 'HUB_PUBLISHES_PER_DEVICE_PER_SEC',
    flag: 'publishes-per-device-per-sec',
    schema: positiveInt('a positive number of messages per second').default(20),
    hint: 'messages per second one device may publish (burst: 5 × this); above it the device is disconnected',
  },
  connectsPerDevicePerMin: {
    env: 'HUB_CONNECTS_PER_DEVICE_PER_MIN',
    flag: 'connects-per-device-per-min',
    schema: positiveInt('a positive number of connections per minute').default(20),
    hint: 'successful MQTT connects per minute of one device (all at once, then spread); above it CONNACK 3',
  },
  httpMaxBodyBytes: {
    env: 'HUB_HTTP_MAX_BODY_BYTES',
    flag: 'http-max-body-bytes',
    schema: positiveInt('a positive number of bytes').default(1024 * 1024),
    hint: 'largest HTTP request body read (413 above it); POST /homes/batch has its own limit',
  },
  httpMaxBatchBodyBytes: {
    env: 'HUB_HTTP_MAX_BATCH_BODY_BYTES',
    flag: 'http-max-batch-body-bytes',
    schema: positiveInt('a positive number of bytes').default(8 * 1024 * 1024),
    hint: 'largest body of POST /homes/batch (500 homes with long notes fit)',
  },
  serveSourceMaps: {
    env: 'HUB_SERVE_SOURCE_MAPS',
    flag: 'serve-source-maps',
    schema: z.stringbool({ error: 'must be 1/0, true/false, yes/no or on/off' }).default(false),
    hint: "serve the console's .map files (for debugging; off: 404, docs/SECURITY.md)",
  },
  webhookAllowedHosts: {
    env: 'HUB_WEBHOOK_ALLOWED_HOSTS',
    flag: 'webhook-allowed-hosts',
    schema: z.string().min(1, 'must be a comma-separated list of hosts, e.g. sms.example.com,.gateway.example.cn').optional(),
    hint: 'hosts webhooks may be sent to (names, .suffixes, IPs); unset: any host',
  },
  webhookAllowPrivate: {
    env: 'HUB_WEBHOOK_ALLOW_PRIVATE',
    flag: 'webhook-allow-private',
    schema: networkList,
    hint: 'loopback/private/link-local addresses or networks webhooks may reach, e.g. 192.168.5.20,10.8.0.0/16 (unset: none)',
  },
  followUpMinutes: {
    env: 'HUB_FOLLOW_UP_MINUTES',
    flag: 'follow-up-minutes',
    schema: minutesBySeverity(DEFAULT_FOLLOW_UP_MINUTES),
    hint: 'acknowledged but not dispatched or resolved for this long re-alerts the holder, then the supervisor (default critical=10,high=15,medium=30,low=60)',
  },
  onSceneMinutes: {
    env: 'HUB_ON_SCENE_MINUTES',
    flag: 'on-scene-minutes',
    schema: minutesBySeverity(DEFAULT_ON_SCENE_MINUTES),
    hint: 'a dispatched responder not on scene within this is flagged late (default critical=30,high=45,medium=60,low=off)',
  },
  webhookSecret: {
    env: 'HUB_WEBHOOK_SECRET',
    flag: 'webhook-secret',
    // No length rule here: a refused value would be echoed in the config error. The notifier warns when it is short.
    schema: z.string().min(1).optional(),
    hint: 'HMAC key signing per-contact webhooks (docs/NOTIFICATIONS.md); unset: contacts cannot have their own webhookUrl',
  },
  // Operations (issue 12 items 6 and 7): the node's name, who may scrape /metrics, the pipeline heartbeat.
  nodeId: {
    env: 'HUB_NODE_ID',
    flag: 'node-id',
    schema: z.string().regex(NODE_ID_PATTERN, 'must be 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit').optional(),
    hint: "this node's name in a cluster, /health, /metrics and ops webhooks (default: <host name>-<MQTT port>)",
  },
  leaderLeaseMs: {
    env: 'HUB_LEADER_LEASE_MS',
    flag: 'leader-lease-ms',
    // PostgreSQL only: the journal writer session's idle timeout (hub/storage/postgres/writer-lease.ts).
    schema: positiveInt('a whole number of milliseconds, at least 1000').min(1_000, 'must be at least 1000 (ms)').default(10_000),
    hint: "with HUB_DATABASE_URL: a leader frozen this long loses its database session and the journal's lock; a standby takes over (docs/CLUSTER.md)",
  },
  partitions: {
    env: 'HUB_PARTITIONS',
    flag: 'partitions',
    // Issue 12 step 3 (docs/CLUSTER.md "Owners"): 'spread' is being built and tested; 'leader' is what runs in production.
    schema: z.enum(['leader', 'spread'], { message: "must be 'leader' or 'spread'" }).default('leader'),
    hint: "in a cluster: 'leader' (one node runs every home's pipeline, the others forward to it) or 'spread' (each node owns a share of the homes' partitions; being built, docs/CLUSTER.md)",
  },
  advertiseUrl: {
    env: 'HUB_ADVERTISE_URL',
    flag: 'advertise-url',
    schema: z
      .string()
      .url('must be a URL such as http://10.0.0.11:8080')
      .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://')
      .optional(),
    hint: "in a cluster: where the other nodes reach this node's HTTP API when it leads (default: http(s)://<HUB_HOST or host name>:<HTTP port>)",
  },
  metricsToken: {
    env: 'HUB_METRICS_TOKEN',
    flag: 'metrics-token',
    // Never echoed in a config error: see SECRET_SETTINGS in config.ts.
    schema: z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 24)').optional(),
    hint: 'bearer token Prometheus sends to read /metrics from anywhere; unset: /metrics answers loopback clients only',
  },
  heartbeatIntervalMs: {
    env: 'HUB_HEARTBEAT_INTERVAL_MS',
    flag: 'heartbeat-interval-ms',
    schema: positiveInt('a positive number of milliseconds').default(10_000),
    hint: 'how often a synthetic heartbeat is sent through broker → ingest → journal → stream',
  },
  pipelineStallMs: {
    env: 'HUB_PIPELINE_STALL_MS',
    flag: 'pipeline-stall-ms',
    schema: positiveInt('a positive number of milliseconds').default(30_000),
    hint: 'a heartbeat not through the pipeline after this long turns /health red and sends hub.pipeline_stalled',
  },
} as const;

export type SettingKey = keyof typeof SETTINGS;
