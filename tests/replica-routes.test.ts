/**
 * Which requests a cluster standby may answer from its copy of the journal
 * (hub/api/replica-routes.ts, docs/CLUSTER.md "Reads on any node"): the
 * routes declared `replica: true`, read back from the real app's OpenAPI
 * document, and the console's files; nothing else. And every API answer
 * carries the journal line it reflects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicaRoutes, type ReplicaRoutes } from '../hub/api/replica-routes.js';
import { defineRoute, jsonResponse } from '../hub/api/openapi-route.js';
import { z } from 'zod';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

let hub: TestHub;
let answers: ReplicaRoutes;

beforeAll(async () => {
  hub = await startTestHub();
  answers = await replicaRoutes(hub.hub.httpApp!);
}, 30_000);
afterAll(() => hub.stop());

describe('the routes a replica answers', () => {
  it('are exactly the declared reads: alerts, the audit view, who a session is, drills, call-backs and wellbeing plans', async () => {
    const doc = (await hub.api.get('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { 'x-replica'?: boolean }>> };
    const declared = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).filter(([, op]) => op['x-replica'] === true).map(([method]) => `${method.toUpperCase()} ${path}`));
    // Adding one is a decision: it must read nothing but the journal's stores and the registry (never the devices' live state).
    // The document says what the headers and the mark mean.
    expect((doc as unknown as { info: { description: string } }).info.description).toMatch(/X-Hub-Journal-N.*X-Hub-After.*x-replica/);
    expect(declared.sort()).toEqual(['GET /alerts', 'GET /alerts/{alertId}', 'GET /audit', 'GET /auth/me', 'GET /callbacks', 'GET /drills', 'GET /drills/{drillId}', 'GET /wellbeing-plans']);
  });

  it('matches those paths and the console files, for GET and HEAD only', () => {
    expect(answers('GET', '/api/v1/alerts')).toBe(true);
    expect(answers('HEAD', '/api/v1/alerts')).toBe(true);
    expect(answers('GET', '/api/v1/alerts/alr-123')).toBe(true);
    expect(answers('GET', '/api/v1/audit')).toBe(true);
    expect(answers('GET', '/api/v1/auth/me')).toBe(true);
    expect(answers('GET', '/')).toBe(true);
    expect(answers('GET', '/app.js')).toBe(true);
    for (const [method, path] of [
      ['POST', '/api/v1/alerts/alr-123/acknowledge'],
      ['GET', '/api/v1/alerts/alr-123/extra'],
      ['GET', '/api/v1/alerts/'],
      ['GET', '/api/v1/homes'],
      ['GET', '/api/v1/devices/brc-1'],
      ['GET', '/api/v1/health'],
      ['GET', '/api'],
      ['GET', '/metrics'],
      ['POST', '/'],
    ] as const) {
      expect(answers(method, path), `${method} ${path}`).toBe(false);
    }
  });

  it('only a GET may be declared one', () => {
    const declare = () => defineRoute({ method: 'post', path: '/x', roles: ['admin'], replica: true, summary: 'x', responses: { 200: jsonResponse(z.object({}), 'x') } });
    expect(declare).toThrow(/only a GET may be answered by a replica/);
  });
});

describe('X-Hub-Journal-N', () => {
  it('is on every API answer: the last journal line applied, past a write\'s own lines (its audit line too, which the write does not wait for)', async () => {
    const before = await hub.api.get('/api/v1/alerts');
    const line = Number(before.headers.get('x-hub-journal-n'));
    expect(line).toBe(hub.hub.journal.lastN);
    const write = await hub.api.post('/api/v1/users', { username: 'replica-reader', password: 'a long enough password', role: 'operator', displayName: 'R' });
    expect(write.status).toBe(201);
    expect(Number(write.headers.get('x-hub-journal-n'))).toBeGreaterThan(line); // its audit line is in
    const refused = await hub.api.get('/api/v1/alerts/does-not-exist');
    expect(refused.status).toBe(404);
    expect(refused.headers.get('x-hub-journal-n')).not.toBeNull();
  });

  it('on PostgreSQL, where a line has its n only once committed, is stamped on a write after its audit line committed, and names that line', async () => {
    const pgHub = await startTestHub({ store: 'postgres' });
    try {
      const before = Number((await pgHub.api.get('/api/v1/alerts')).headers.get('x-hub-journal-n'));
      const write = await pgHub.api.post('/api/v1/users', { username: 'replica-reader-pg', password: 'a long enough password', role: 'operator', displayName: 'R' });
      expect(write.status).toBe(201);
      const stamped = Number(write.headers.get('x-hub-journal-n'));
      expect(stamped).toBeGreaterThan(before);
      // The user's audit line is at or below the stamp: a standby asked with X-Hub-After = stamp has it.
      const audit = (await pgHub.api.get('/api/v1/audit')).body as { entries: { action: string; target?: string }[] };
      expect(audit.entries.some((e) => e.action === 'user.created' && e.target !== undefined)).toBe(true);
      expect(stamped).toBe(pgHub.hub.journal.durableN);
    } finally {
      await pgHub.stop();
    }
  }, 60_000);
});
