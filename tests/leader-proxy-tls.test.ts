/**
 * A follower in front of a leader that serves HTTPS (HUB_TLS_CERT): requests
 * and the stream reach it over TLS, trusting the leader's certificate through
 * `leaderTls.ca`; a leader whose certificate the follower does not trust is
 * unreachable (502), never reached in clear or unverified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeStream, useCleanup } from './helpers/cleanup.js';
import { startFollowerFront, type FollowerFront } from './helpers/follower-front.js';
import { rawHttp, upgradeRequest } from './helpers/raw-http.js';
import { StreamClient } from './helpers/stream-client.js';
import { useTlsFixture } from './helpers/test-certs.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from './helpers/test-hub.js';
import { tlsFetch } from './helpers/tls-client.js';

const keep = useCleanup();
const tlsFixture = useTlsFixture();
let leader: TestHub;
let front: FollowerFront;

beforeAll(async () => {
  const fx = tlsFixture();
  leader = await startTestHub({ env: fx.env, fetch: tlsFetch(fx.hubA.cert) });
  front = await startFollowerFront(() => leader.httpUrl, { leaderTls: { ca: fx.hubA.cert } });
});

afterAll(async () => {
  await front?.close();
  await leader?.stop();
});

describe('a follower in front of an HTTPS leader', () => {
  it('logs in and opens the stream through the follower over TLS to the leader', async () => {
    expect(leader.httpUrl).toMatch(/^https:/);
    const login = await fetch(`${front.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    expect(login.status).toBe(200);
    // The leader served it over TLS, so its cookie is Secure (docs/CLUSTER.md: serve TLS on every node).
    expect(login.headers.getSetCookie()[0]).toMatch(/; Secure/);
    const { token } = (await login.json()) as { token: string };
    const stream = keep(await StreamClient.open(front.url, `token=${token}`), closeStream);
    expect((await stream.next((m) => m.type === 'snapshot')).streamId).toEqual(expect.any(String));
  });

  it('refuses to talk to a leader whose certificate it does not trust: 502', async () => {
    const untrusting = keep(await startFollowerFront(() => leader.httpUrl), (f) => f.close());
    expect((await fetch(`${untrusting.url}/api/v1/alerts`)).status).toBe(502);
    expect((await rawHttp(untrusting.port, [upgradeRequest('/api/v1/stream')], { until: (r) => r.endsWith('}') })).status).toBe(502);
  });
});
