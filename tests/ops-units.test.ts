/**
 * Issue 12 items 6 and 7, the pure pieces: the heartbeat monitor on a manual
 * clock (stall per stage, one report per stall, recovery, superseded and
 * capped heartbeats), the node id, who may read /metrics, the probe's place
 * in the access policy, and the new settings' errors.
 */
import { describe, expect, it } from 'vitest';
import { isLoopback, metricsRefusal } from '../hub/api/routes/health.js';
import { devicePolicy } from '../hub/broker/access-policy.js';
import { ConfigError, loadConfig } from '../hub/config/config.js';
import { deriveNodeId, NODE_ID_PATTERN, resolveNodeId } from '../hub/core/node-id.js';
import { createLogger } from '../hub/core/logger.js';
import type { HttpRequest } from '../hub/notify/http-sender.js';
import { verifyWebhook } from '../hub/notify/payload.js';
import type { SendResult } from '../hub/notify/types.js';
import type { OrgWebhook } from '../hub/notify/webhook-store.js';
import { OpsWebhooks } from '../hub/ops/ops-webhooks.js';
import { PipelineMonitor, type RecoveryReport, type StallReport } from '../hub/ops/pipeline-monitor.js';
import { probeIdentity, withProbe } from '../hub/ops/probe-access.js';
import { logSink } from './helpers/log-sink.js';
import { ManualClock } from './helpers/manual-clock.js';
import { waitFor } from './helpers/wait-for.js';

function monitor(clock = new ManualClock()) {
  const sent: number[] = [];
  const stalls: StallReport[] = [];
  const recoveries: RecoveryReport[] = [];
  const m = new PipelineMonitor({ clock, intervalMs: 10_000, stallMs: 30_000, send: (b) => sent.push(b), onStalled: (r) => stalls.push(r), onRecovered: (r) => recoveries.push(r) });
  return { m, clock, sent, stalls, recoveries };
}

describe('PipelineMonitor', () => {
  it('stays green while every heartbeat comes through, and reports its round trip', () => {
    const { m, clock, sent, stalls } = monitor();
    m.start();
    for (let i = 0; i < 10; i++) {
      const beat = sent.at(-1)!;
      clock.advance(40);
      for (const stage of ['broker', 'journal', 'stream', 'acked'] as const) m.reached(beat, stage);
      clock.advance(9_960);
    }
    expect(stalls).toEqual([]);
    expect(m.status()).toMatchObject({ ok: true, beatsSent: 11, beatsCompleted: 10, lastCompleted: { beat: 10, roundTripMs: 40 } });
    m.stop();
  });

  it('calls a heartbeat stalled 30 s after it was sent, naming the stage it is stuck after, once', () => {
    const { m, clock, sent, stalls } = monitor();
    m.start();
    m.reached(1, 'broker');
    m.reached(1, 'journal');
    clock.advance(29_999);
    expect(stalls).toEqual([]);
    expect(m.status().ok).toBe(true);
    clock.advance(1);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toMatchObject({ beat: 1, stage: 'journal', since: clock.now() - 30_000, lastCompletedAt: undefined });
    expect(stalls[0]!.reason).toBe('heartbeat 1 durable in the journal, but not through the stream fan-out');
    clock.advance(60_000); // later heartbeats are stuck too: still one report
    expect(stalls).toHaveLength(1);
    expect(sent.length).toBeGreaterThan(5);
    expect(m.status()).toMatchObject({ ok: false, stalled: { beat: 1 } });
    m.stop();
  });

  it('recovers on the first heartbeat through, superseding the older ones still out', () => {
    const { m, clock, sent, stalls, recoveries } = monitor();
    m.start();
    clock.advance(40_000);
    expect(stalls[0]).toMatchObject({ beat: 1, stage: 'sent' });
    expect(stalls[0]!.reason).toContain('not received by the broker');
    m.reached(sent.at(-1)!, 'acked');
    expect(recoveries).toEqual([{ beat: sent.at(-1)!, stalledSince: clock.now() - 40_000, stalledForMs: 40_000 }]);
    m.reached(1, 'acked'); // superseded: ignored
    expect(m.status()).toMatchObject({ ok: true, beatsCompleted: 1 });
    clock.advance(25_000); // nothing older is left to go overdue
    expect(stalls).toHaveLength(1);
    m.stop();
  });

  it('stops sending while 16 heartbeats are stuck, and stop() cancels every timer', () => {
    const { m, clock, sent } = monitor();
    m.start();
    clock.advance(10_000 * 40);
    expect(sent).toHaveLength(16);
    m.stop();
    expect(clock.pending).toBe(0);
  });
});

describe('ops webhooks', () => {
  const hook = (id: string, extra: Partial<OrgWebhook> = {}): OrgWebhook => ({
    id, name: id, url: `https://gw.example.com/${id}`, secret: `secret-of-${id}-0123456789`, severities: ['critical', 'high'], enabled: true, createdAt: '', updatedAt: '', ...extra,
  });

  it('go to enabled webhooks taking critical alerts, signed, retried with backoff until accepted', async () => {
    const clock = new ManualClock();
    const sent: HttpRequest[] = [];
    const answers: SendResult[] = [{ kind: 'response', status: 503 }, { kind: 'error', error: 'ECONNRESET' }, { kind: 'response', status: 200 }];
    const webhooks = [hook('pager'), hook('off', { enabled: false }), hook('low-only', { severities: ['low'] })];
    const ops = new OpsWebhooks({ nodeId: 'node-a', webhooks: () => webhooks, post: async (req) => (sent.push(req), answers.shift()!), clock, log: createLogger('silent') });
    ops.send('hub.pipeline_stalled', { stage: 'broker', reason: 'stuck' });
    await waitFor(() => sent.length === 1 && ops.pendingCount === 1 && clock.pending === 1, 'the first attempt and its retry timer');
    expect(sent[0]!.url).toBe('https://gw.example.com/pager');
    const body = JSON.parse(sent[0]!.body);
    expect(body).toMatchObject({ event: 'hub.pipeline_stalled', nodeId: 'node-a', stage: 'broker', reason: 'stuck', attempt: 1 });
    expect(verifyWebhook('secret-of-pager-0123456789', sent[0]!.body, sent[0]!.headers['X-Hub-Signature-256'], clock.now())).toBe(true);
    clock.advance(5_000);
    await waitFor(() => sent.length === 2 && clock.pending === 1, 'the second attempt, 5 s later');
    clock.advance(10_000);
    await waitFor(() => ops.pendingCount === 0, 'the third attempt, accepted');
    expect(sent.map((r) => JSON.parse(r.body).attempt)).toEqual([1, 2, 3]);
    expect(new Set(sent.map((r) => JSON.parse(r.body).deliveryId)).size).toBe(1);
  });

  it('warn when no webhook would hear of a stall, and stop retrying on stop()', async () => {
    const sink = logSink();
    const clock = new ManualClock();
    const nobody = new OpsWebhooks({ nodeId: 'node-a', webhooks: () => [], post: async () => ({ kind: 'response', status: 200 }), clock, log: createLogger('warn', sink.stream) });
    nobody.send('hub.pipeline_stalled', {});
    await waitFor(() => sink.lines.length > 0, 'the warning');
    expect(sink.lines[0]).toMatchObject({ event: 'hub.pipeline_stalled', msg: expect.stringContaining('nobody is told') });
    let attempts = 0;
    const failing = new OpsWebhooks({ nodeId: 'node-a', webhooks: () => [hook('pager')], post: async () => (attempts++, { kind: 'response', status: 500 }), clock, log: createLogger('silent') });
    failing.send('hub.pipeline_recovered', {});
    await waitFor(() => attempts === 1 && clock.pending === 1, 'the first attempt');
    failing.stop();
    expect(clock.pending).toBe(0);
    expect(failing.pendingCount).toBe(0);
  });
});

describe('node id', () => {
  it('is HUB_NODE_ID when set, else the host name and MQTT port (the pid for port 0), always a safe label', () => {
    expect(resolveNodeId('node-a', 1883, 'ignored', 1)).toBe('node-a');
    expect(resolveNodeId(undefined, 1883, 'hub-01.site.example', 1)).toBe('hub-01.site.example-1883');
    expect(deriveNodeId('hub 01/ünïcode', 0, 4242)).toBe('hub-01-n-code-pid4242');
    expect(deriveNodeId('...', 1884, 1)).toBe('hub-1884');
    for (const id of [deriveNodeId('hub 01/ünïcode', 0, 4242), deriveNodeId('x'.repeat(200), 65_535, 1)]) expect(id).toMatch(NODE_ID_PATTERN);
  });
});

describe('who may read /metrics', () => {
  it('without HUB_METRICS_TOKEN: loopback clients only', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(address), address).toBe(true);
    for (const address of ['192.0.2.2', '10.0.0.1', '::ffff:10.0.0.1', 'fe80::1', 'unknown', '']) {
      expect(isLoopback(address), address).toBe(false);
      expect(metricsRefusal(undefined, address, undefined)?.status, address).toBe(403);
    }
    expect(metricsRefusal(undefined, '127.0.0.1', undefined)).toBeUndefined();
  });

  it('with HUB_METRICS_TOKEN: the bearer token, from any address, loopback included', () => {
    const token = 'metrics-token-3f9a1c7e5d';
    expect(metricsRefusal(token, '192.0.2.2', `Bearer ${token}`)).toBeUndefined();
    expect(metricsRefusal(token, '127.0.0.1', `bearer ${token}`)).toBeUndefined();
    for (const header of [undefined, '', 'Bearer', `Bearer ${token}x`, `Basic ${token}`, `Bearer ${token.slice(0, -1)}`]) {
      expect(metricsRefusal(token, '127.0.0.1', header)?.status, String(header)).toBe(401);
    }
  });
});

describe('the probe in the access policy', () => {
  const registry = { deviceSecretValid: (id: string, secret: string) => id === 'br-1' && secret === 'device-secret' };
  const probe = probeIdentity('node-a');
  const policy = withProbe(devicePolicy(registry), probe);
  const attempt = (clientId: string, username: string, password: string) => ({ clientId, clientIdWasEmpty: false, clean: true, username, password: Buffer.from(password) });

  it('lets in only the probe with its own secret, to its own topic, and leaves devices to the device policy', () => {
    expect(policy.connect(attempt(probe.clientId, probe.clientId, probe.password))).toEqual({ ok: true });
    expect(policy.connect(attempt(probe.clientId, probe.clientId, 'guess'))).toMatchObject({ ok: false, returnCode: 5 });
    expect(policy.connect(attempt(probe.clientId, 'br-1', 'device-secret'))).toMatchObject({ ok: false, returnCode: 5 });
    expect(policy.connect(attempt('br-1', 'br-1', 'device-secret'))).toMatchObject({ ok: true });
    expect(policy.publish(probe.clientId, probe.topic)).toEqual({ ok: true, channel: 'event' });
    expect(policy.publish(probe.clientId, 'hc/v1/br-1/event').ok).toBe(false);
    expect(policy.publish('br-1', probe.topic).ok).toBe(false);
    expect(policy.publish('br-1', 'hc/v1/br-1/event')).toEqual({ ok: true, channel: 'event' });
    expect(policy.subscribe(probe.clientId, '#').ok).toBe(false);
    expect(probeIdentity('node-a').password).not.toBe(probe.password); // per process, never configured
  });
});

describe('operations settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ env });
  const problems = (env: Record<string, string>) => {
    try {
      load(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    throw new Error('accepted');
  };

  it('have defaults: 10 s heartbeats, 30 s to stall, no token, a derived node id', () => {
    const config = load({});
    expect(config).toMatchObject({ heartbeatIntervalMs: 10_000, pipelineStallMs: 30_000 });
    expect(config.metricsToken).toBeUndefined();
    expect(config.nodeId).toBeUndefined();
  });

  it('refuse bad values in one line each, never echoing the metrics token', () => {
    expect(problems({ HUB_NODE_ID: 'node/a' })).toContain('HUB_NODE_ID must be 1–63 letters');
    expect(problems({ HUB_METRICS_TOKEN: 'short-secret' })).toBe('HUB_METRICS_TOKEN must be at least 16 characters (e.g. openssl rand -hex 24) (got "***")');
    expect(problems({ HUB_HEARTBEAT_INTERVAL_MS: '0' })).toContain('HUB_HEARTBEAT_INTERVAL_MS must be a positive number');
    expect(problems({ HUB_HEARTBEAT_INTERVAL_MS: '30000' })).toBe('HUB_PIPELINE_STALL_MS (30000) must be longer than HUB_HEARTBEAT_INTERVAL_MS (30000)');
    expect(problems({ HUB_PARTITIONS: 'spread' })).toBe('HUB_PARTITIONS=spread needs HUB_DATABASE_URL and HUB_REDIS_URL (the nodes of a cluster share both); unset HUB_PARTITIONS to run this hub alone');
    expect(problems({ HUB_PARTITIONS: 'spread', HUB_DATABASE_URL: 'postgres://hub@127.0.0.1:5432/hub' })).toContain('needs HUB_DATABASE_URL and HUB_REDIS_URL');
    expect(problems({ HUB_PARTITIONS: 'both' })).toContain("HUB_PARTITIONS must be 'leader' or 'spread'");
  });
});
