/**
 * The sessions and visits ports' contract (hub/storage/ports.ts), run through
 * the services that use them (SessionStore, VisitStore) on both adapters:
 * files in a temp dir, and this file's fresh PostgreSQL database. What is
 * stored comes back after a reopen; a write the store refuses changes
 * nothing, in memory or after a reopen. Sessions differ on purpose: on files
 * they live in memory only (a restart logs everyone out, as always).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionStore, type RevokeReason } from '../hub/auth/sessions.js';
import { StartupError } from '../hub/core/data-dir.js';
import { VisitsFile } from '../hub/storage/files/visits-file.js';
import { WebhooksFile } from '../hub/storage/files/webhooks-file.js';
import type { HardshipPeriod, VisitRecord } from '../hub/visits/visit.js';
import { VisitStore } from '../hub/visits/visit-store.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { closeStores, postgresBackend, storeBackends, useBackend } from './helpers/store-backends.js';

const T0 = Date.parse('2026-03-10T08:00:00.000Z');

const visit = (id: string, notes = 'fine, tea together'): VisitRecord => ({
  id,
  residentId: 'res-1',
  homeId: 'home-1',
  visitedAt: '2026-03-09T10:00:00.000Z',
  visitor: 'Li Wei',
  condition: 'well',
  notes,
  followUp: false,
  recordedAt: '2026-03-09T10:05:00.000Z',
  recordedBy: 'user:worker1',
});

const database = usePgDatabase();

describe.each(storeBackends(database))('sessions and visits on %s', (_name, makeBackend) => {
  const ctx = useBackend(makeBackend, T0);
  const stores = () => ctx.stores();

  async function sessions(): Promise<SessionStore> {
    const s = new SessionStore({ store: stores().sessions, ttlMs: 60_000, now: () => ctx.now });
    await s.start();
    return s;
  }

  async function visits(): Promise<VisitStore> {
    const v = new VisitStore(stores().visits);
    await v.start();
    return v;
  }

  it('keeps sessions across a reopen where the store can (PostgreSQL), never a revoked or expired one', async () => {
    const first = await sessions();
    const user = { username: 'op1', role: 'operator' as const, homeIds: ['home-1'] };
    const kept = await first.create({ userId: 'u-1', ...user });
    const loggedOut = await first.create({ userId: 'u-1', ...user });
    const disabled = await first.create({ userId: 'u-2', ...user, username: 'op2' });
    const shortLived = await first.create({ userId: 'u-3', ...user, username: 'op3' });
    const ended: RevokeReason[] = [];
    first.onRevoked((_s, reason) => ended.push(reason));
    await first.revoke(loggedOut.token);
    await first.revokeUser('u-2', 'user disabled');
    expect(ended).toEqual(['logged out', 'user disabled']);
    expect(first.resolve(kept.token)).toMatchObject({ userId: 'u-1', homeIds: ['home-1'], expiresAt: T0 + 60_000 });

    ctx.now = T0 + 30_000;
    const later = await first.create({ userId: 'u-4', ...user, username: 'op4' });
    ctx.now = T0 + 61_000; // the first four are past their 60 s
    const again = await sessions();
    expect(again.resolve(shortLived.token)).toBeUndefined();
    expect(again.resolve(kept.token)).toBeUndefined();
    expect(again.resolve(loggedOut.token)).toBeUndefined();
    expect(again.resolve(disabled.token)).toBeUndefined();
    expect(again.resolve(later.token)?.username).toBe(ctx.backend.kind === 'postgres' ? 'op4' : undefined);
  });

  it('lets a cluster standby re-read one session before it answers (PostgreSQL): created and revoked by the leader, expired; files cannot', async () => {
    // One database between them, as on a node (its registry holds it open); the standby's store is never started: it knows no session.
    const { sessions: store } = stores();
    const leader = new SessionStore({ store, ttlMs: 60_000, now: () => ctx.now });
    await leader.start();
    const standby = new SessionStore({ store, ttlMs: 60_000, now: () => ctx.now });
    const user = { userId: 'u-1', username: 'op1', role: 'operator' as const, homeIds: ['home-1'] };
    const { token } = await leader.create(user);
    expect(standby.resolve(token)).toBeUndefined();
    if (ctx.backend.kind !== 'postgres') {
      expect(await standby.refresh(token)).toBe(false); // the caller passes the request on to the leader
      expect(standby.resolve(token)).toBeUndefined();
      return;
    }
    expect(await standby.refresh(token)).toBe(true);
    expect(standby.resolve(token)).toMatchObject({ userId: 'u-1', homeIds: ['home-1'] });
    const ended: RevokeReason[] = [];
    standby.onRevoked((_s, reason) => ended.push(reason));
    await leader.revoke(token);
    expect(await standby.refresh(token)).toBe(true);
    expect(standby.resolve(token)).toBeUndefined();
    expect(ended).toEqual(['logged out']);
    const second = await leader.create(user);
    ctx.now = T0 + 61_000; // past its 60 s: the row is no longer a session
    expect(await standby.refresh(second.token)).toBe(true);
    expect(standby.resolve(second.token)).toBeUndefined();
    expect(await standby.refresh('a token nobody issued')).toBe(true);
    expect(standby.resolve('a token nobody issued')).toBeUndefined();
  });

  it('stores visits and flag history, and gives them back after a reopen exactly as written', async () => {
    const first = await visits();
    const periods: HardshipPeriod[] = [{ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' }, { from: '2026-03-01T00:00:00.000Z' }];
    await first.add(visit('v-1', 'zoë ✓ "quoted" 张'));
    await first.add({ ...visit('v-2'), condition: 'needs_help', followUp: true, followUpAlertId: 'al-9' });
    await first.setHardshipHistory('res-1', periods);
    await first.setHardshipHistory('res-1', [...periods, { from: '2026-03-05T00:00:00.000Z' }]);

    const again = await visits();
    expect(again.list().sort((a, b) => a.id.localeCompare(b.id))).toEqual(first.list().sort((a, b) => a.id.localeCompare(b.id)));
    expect(again.get('v-1')?.notes).toBe('zoë ✓ "quoted" 张');
    expect(again.hardshipHistory('res-1')).toHaveLength(3);
    expect(again.hardshipHistory('res-2')).toBeUndefined();
  });

  it('a visit or flag change the store cannot write is refused, and memory does not have it either', async () => {
    const first = await visits();
    await first.add(visit('v-1'));
    await ctx.backend.breakWrites('registry/visits.json');
    await expect(first.add(visit('v-lost'))).rejects.toThrow();
    await expect(first.setHardshipHistory('res-1', [{ from: '2026-03-01T00:00:00.000Z' }])).rejects.toThrow();
    expect(first.list().map((v) => v.id)).toEqual(['v-1']);
    expect(first.hardshipHistory('res-1')).toBeUndefined();
  });

  it('a session the store cannot write is not handed out', async () => {
    const first = await sessions();
    await ctx.backend.breakWrites('unused');
    const created = first.create({ userId: 'u-1', username: 'op1', role: 'operator', homeIds: [] });
    if (ctx.backend.kind === 'files') {
      // Memory only: nothing can fail.
      expect(first.resolve((await created).token)?.userId).toBe('u-1');
    } else {
      await expect(created).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^PostgreSQL database hub_test_\w+ on 127\.0\.0\.1:5432 unreachable: /) });
    }
  });
});

describe('visits on postgres: what the database refuses', () => {
  it('turns text with NUL into a 400-style refusal and stores nothing', async () => {
    const backend = await postgresBackend(database);
    const stores = backend.open();
    try {
      const store = new VisitStore(stores.visits);
      await store.start();
      await expect(store.add(visit('v-nul', 'bad \u0000 note'))).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/NUL/) });
      expect(store.list()).toEqual([]);
      const again = new VisitStore(backend.open().visits);
      await again.start();
      expect(again.list()).toEqual([]);
      await again.stop();
    } finally {
      await closeStores(stores);
      await backend.dispose();
    }
  });
});

describe('visits.json and webhooks.json written by a newer hub', () => {
  it.each([
    ['registry/visits.json', (path: string) => new VisitsFile(path)],
    ['notifications/webhooks.json', (path: string) => new WebhooksFile(path)],
  ])('%s stops the start with one line naming the file and what to do, and is left as it was', async (file, open) => {
    const temp = await makeTempDir();
    try {
      const path = join(temp.path, file);
      await mkdir(dirname(path), { recursive: true });
      const text = JSON.stringify({ schemaVersion: 99, items: {} });
      await writeFile(path, text);
      const err = await open(path).load().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StartupError);
      expect((err as Error).message).toBe(`${path} has schema version 99, newer than this hub understands (1): run the newer hub, or restore a backup made by this version`);
      expect(await readFile(path, 'utf8')).toBe(text);
    } finally {
      await temp.remove();
    }
  });
});
