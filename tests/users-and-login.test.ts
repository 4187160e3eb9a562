/**
 * Users and roles managed by an admin, sessions ending when access changes,
 * and brute-force protection: 10 failed logins lock the account for 5 minutes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomBytes, scryptSync } from 'node:crypto';
import { needsRehash, verifyPassword } from '../hub/auth/passwords.js';
import { hashFirstAdminPassword } from '../hub/compose/first-start.js';
import type { Registry } from '../hub/registry/registry.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();

describe('users', () => {
  it('lets an admin create users with hashed passwords, and refuses bad input without creating anything', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const created = await hub.api.post('/api/v1/users', { username: 'li.na', password: 'operator-password', role: 'operator', displayName: 'Li Na' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'li.na', role: 'operator', displayName: 'Li Na' });
    expect(created.body.passwordHash).toBeUndefined();
    const onDisk = await readFile(join(hub.dataDir, 'registry', 'users.json'), 'utf8');
    expect(onDisk).not.toContain('operator-password');
    expect(onDisk).toContain('scrypt$');

    expect((await hub.api.post('/api/v1/users', { username: 'li.na', password: 'another-password', role: 'operator' })).status).toBe(409);
    const weak = await hub.api.post('/api/v1/users', { username: 'x.y', password: 'short', role: 'operator' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.message).toContain('password');
    const noHome = await hub.api.post('/api/v1/users', { username: 'son', password: 'family-password', role: 'family', homeIds: ['home-nope'] });
    expect(noHome.status).toBe(400);
    expect(noHome.body.error.message).toContain('home-nope');
    expect((await hub.api.get('/api/v1/users')).body.users.map((u: { username: string }) => u.username).sort()).toEqual(['admin', 'li.na']);

    const op = new ApiClient(hub.httpUrl);
    await op.login('li.na', 'operator-password');
    expect((await op.get('/api/v1/users')).status).toBe(403);
  });

  it('replaces a password hash of the older, cheaper cost at the next successful login, and only then', async () => {
    const hub = keep(await startTestHub(), closeHub);
    // The first admin is hashed at the first-start cost (p = 1) while the hub starts; the test hub's own login upgraded it.
    const firstStart = hashFirstAdminPassword({ userCount: () => 0 } as Registry, 'first-admin-password');
    expect(await firstStart!.hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(hub.hub.registry.findUser('admin')!.passwordHash).toMatch(/^scrypt\$32768\$8\$3\$/);

    // A hash as hubs made them before 2026-12-05 (N = 16,384, p = 1).
    const salt = randomBytes(16);
    const oldHash = ['scrypt', 16384, 8, 1, salt.toString('base64'), scryptSync('old-cost-password', salt, 64, { N: 16384, r: 8, p: 1 }).toString('base64')].join('$');
    expect(needsRehash(oldHash)).toBe(true);
    const user = await hub.hub.registry.createUser({ username: 'wang.fang', passwordHash: oldHash, role: 'operator', displayName: 'Wang Fang', homeIds: [] });
    const stored = () => hub.hub.registry.getUser(user.id)!.passwordHash;

    // A wrong password changes nothing.
    expect((await fetch(`${hub.httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'wang.fang', password: 'not-her-password' }) })).status).toBe(401);
    expect(stored()).toBe(oldHash);

    await new ApiClient(hub.httpUrl).login('wang.fang', 'old-cost-password');
    const upgraded = stored();
    expect(upgraded).toMatch(/^scrypt\$32768\$8\$3\$/);
    expect(needsRehash(upgraded)).toBe(false);
    expect(await verifyPassword('old-cost-password', upgraded)).toBe(true);
    // The same password still logs in, against the new hash, which stays.
    await new ApiClient(hub.httpUrl).login('wang.fang', 'old-cost-password');
    expect(stored()).toBe(upgraded);
  });

  it('refuses a stored hash that asks for more memory than any cost the hub makes, without running it', async () => {
    const huge = ['scrypt', 1 << 24, 8, 1, randomBytes(16).toString('base64'), randomBytes(64).toString('base64')].join('$');
    expect(await verifyPassword('anything', huge)).toBe(false);
  });

  it('ends a user\u2019s sessions when their role changes or they are disabled', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const user = (await hub.api.post('/api/v1/users', { username: 'wang', password: 'supervisor-pw', role: 'supervisor' })).body;
    const sup = new ApiClient(hub.httpUrl);
    await sup.login('wang', 'supervisor-pw');
    expect((await sup.get('/api/v1/audit')).status).toBe(200);
    await hub.api.request('PATCH', `/api/v1/users/${user.id}`, { role: 'operator' });
    expect((await sup.get('/api/v1/alerts')).status).toBe(401);
    await sup.login('wang', 'supervisor-pw');
    expect((await sup.get('/api/v1/audit')).status).toBe(403);

    await hub.api.request('PATCH', `/api/v1/users/${user.id}`, { disabled: true });
    expect((await sup.get('/api/v1/alerts')).status).toBe(401);
    const again = await new ApiClient(hub.httpUrl).post('/api/v1/auth/login', { username: 'wang', password: 'supervisor-pw' });
    expect(again.status).toBe(401);
    const unknownField = await hub.api.request('PATCH', `/api/v1/users/${user.id}`, { superpowers: true });
    expect(unknownField.status).toBe(400);
  });
});

describe('login protection', () => {
  it('locks an account for 5 minutes after 10 failed logins, audited, even for the right password', async () => {
    const clock = new ManualClock();
    const hub = keep(await startTestHub({ clock }), closeHub);
    const anon = new ApiClient(hub.httpUrl);
    for (let i = 0; i < 10; i++) expect((await anon.post('/api/v1/auth/login', { username: 'admin', password: `guess-${i}` })).status).toBe(401);
    const locked = await anon.post('/api/v1/auth/login', { username: 'admin', password: 'admin-pass-for-tests' });
    expect(locked.status).toBe(429);
    expect(locked.body.error.message).toMatch(/try again in 5 min/);
    const failures = hub.hub.audit.recent().filter((e) => e.action === 'auth.login_failed');
    expect(failures).toHaveLength(10);
    expect(failures.at(-1)?.detail).toMatchObject({ locked: true });

    clock.advance(5 * 60_000);
    expect((await anon.post('/api/v1/auth/login', { username: 'admin', password: 'admin-pass-for-tests' })).status).toBe(200);
  });
});
