/**
 * Issue 10 item 8: a failed login must not tell whether the username exists,
 * neither by its answer nor by its time (it took 4 ms for an unknown user and
 * 56 ms for a wrong password: scrypt ran only for known users). Medians of
 * interleaved attempts, compared as a ratio so a busy machine slows both
 * sides alike. Each attempt comes from its own loopback address so the
 * per-address lockout (10 failures) never answers instead of the password check.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from './helpers/test-hub.js';

let hub: TestHub;
let port: number;

beforeAll(async () => {
  hub = await startTestHub();
  port = Number(new URL(hub.httpUrl).port);
  await hub.api.post('/api/v1/users', { username: 'gone', password: 'gone-password-1', displayName: 'Gone', role: 'operator' });
  const gone = hub.hub.registry.findUser('gone')!;
  await hub.api.request('PATCH', `/api/v1/users/${gone.id}`, { disabled: true });
});

afterAll(() => hub?.stop());

function login(username: string, password: string, from: string): Promise<{ status: number; body: unknown; ms: number }> {
  const payload = JSON.stringify({ username, password });
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, localAddress: from, method: 'POST', path: '/api/v1/auth/login', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const WRONG = { status: 401, body: { error: { code: 'bad_credentials', message: 'wrong username or password' } } };

describe('login timing and answers do not reveal which usernames exist', () => {
  it('takes about as long for an unknown user as for a wrong password, with the same answer', async () => {
    const unknown: number[] = [];
    const known: number[] = [];
    for (let i = 0; i < 16; i++) {
      // The username lockout counts 10 failures: a good login now and then clears admin's count.
      if (i % 8 === 7) await hub.api.login('admin', ADMIN_PASSWORD);
      const a = await login(`nobody-${i}`, 'not-the-password', `127.0.1.${10 + i}`);
      const b = await login('admin', 'not-the-password', `127.0.2.${10 + i}`);
      expect({ status: a.status, body: a.body }).toEqual(WRONG);
      expect({ status: b.status, body: b.body }).toEqual(WRONG);
      unknown.push(a.ms);
      known.push(b.ms);
    }
    expect(median(unknown)).toBeGreaterThanOrEqual(0.5 * median(known));
  });

  it('answers a disabled user like any other failed login, after the same work', async () => {
    const disabled: number[] = [];
    const known: number[] = [];
    for (let i = 0; i < 6; i++) {
      const a = await login('gone', 'gone-password-1', `127.0.3.${10 + i}`);
      const b = await login('admin', 'not-the-password', `127.0.4.${10 + i}`);
      expect({ status: a.status, body: a.body }).toEqual(WRONG);
      disabled.push(a.ms);
      known.push(b.ms);
    }
    await hub.api.login('admin', ADMIN_PASSWORD);
    expect(median(disabled)).toBeGreaterThanOrEqual(0.5 * median(known));
  });
});
