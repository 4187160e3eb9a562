/**
 * The registry change feed on PostgreSQL (issue 12): two Registry instances
 * on one fresh database, as two cluster nodes hold it. What one writes, the
 * other has in memory once the feed delivered it (each test waits on that
 * delivery, never on time); after its feed connection was cut and restored a
 * node reloads everything, so a device revoked meanwhile is refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionStore } from '../hub/auth/sessions.js';
import { silentLogger } from '../hub/core/logger.js';
import { followRegistryChanges } from '../hub/homes/follow-registry-changes.js';
import type { DeviceRecord } from '../hub/registry/records.js';
import { sameRecord } from '../hub/registry/external-records.js';
import { Registry, type RegistryChange } from '../hub/registry/registry.js';
import { RegistryFiles } from '../hub/storage/files/registry-files.js';
import { MemorySessions } from '../hub/storage/files/sessions-memory.js';
import type { RegistryStore } from '../hub/storage/ports.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgRegistryFeed } from '../hub/storage/postgres/registry-feed.js';
import { PgRegistryStore } from '../hub/storage/postgres/registry-pg.js';
import { createPgDatabase } from './helpers/pg-database.js';
import { withClient } from './helpers/pg-server.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { waitFor } from './helpers/wait-for.js';

const resident = { name: 'Wang Lan', birthYear: 1941, conditions: [], contacts: [], specialHardship: false };

/** A fresh database per test (PostgreSQL tests only); dropped after whatever used it was closed. */
let database: Awaited<ReturnType<typeof createPgDatabase>>;
let created: typeof database | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await created?.drop();
  created = undefined;
});

/** Each node's store, for its feed's state. */
const storeOf = new WeakMap<Registry, PgRegistryStore>();

/** A node's registry on the test database (or through a proxy in front of it), started. */
async function node(url = database.url): Promise<Registry> {
  const store = new PgRegistryStore(new PgDatabase({ url, probeEveryMs: { healthy: 60_000, unhealthy: 200 } }), {
    feed: { retryMs: { first: 20, max: 200 } },
  });
  const registry = new Registry(store);
  storeOf.set(registry, store);
  await registry.start();
  closers.push(() => registry.stop());
  return registry;
}

/** Resolves with the first change the node's feed delivers that matches; subscribe before the write on the other node. */
function delivered(registry: Registry, what: string, match: (change: RegistryChange) => boolean, timeoutMs = 15_000): Promise<RegistryChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no registry change delivered within ${timeoutMs} ms: ${what}`));
    }, timeoutMs);
    const stop = registry.onExternalChange((changes) => {
      const found = changes.find(match);
      if (!found) return;
      clearTimeout(timer);
      stop();
      resolve(found);
    });
  });
}

const deviceChange = (id: string, test: (d: DeviceRecord) => boolean = () => true) => (c: RegistryChange) => c.kind === 'devices' && c.after.id === id && test(c.after);

/** A home with a bracelet, created on A and delivered to B. */
async function bracelet(a: Registry, b: Registry, serial: string) {
  const { home } = await a.createHome({ name: 'Home', address: '1 Road', resident });
  const arrived = delivered(b, `bracelet ${serial}`, (c) => c.kind === 'devices');
  const { device, secret } = await a.addDevice(home.id, 'bracelet', serial);
  await arrived;
  return { home, device, secret };
}

describe('registry change feed on PostgreSQL: two nodes on one database', () => {
  beforeEach(async () => {
    database = created = await createPgDatabase();
  });

  it('a device provisioned on A authenticates on B; revoked on A, B refuses it; a rotated secret replaces the old one on B', async () => {
    const a = await node();
    const b = await node();
    const { home, device, secret } = await bracelet(a, b, 'BR-1');
    expect(b.getHome(home.id)?.name).toBe('Home');
    expect(b.deviceSecretValid(device.id, secret)).toBe(true);
    // B's serial index follows too: the same serial is refused on B from memory.
    await expect(b.addDevice(home.id, 'bracelet', 'BR-1')).rejects.toThrow(/already registered/);

    const rotatedOnB = delivered(b, 'the rotated secret', deviceChange(device.id));
    const rotated = await a.rotateDeviceSecret(device.id);
    await rotatedOnB;
    expect(b.deviceSecretValid(device.id, secret)).toBe(false);
    expect(b.deviceSecretValid(device.id, rotated.secret)).toBe(true);

    const revokedOnB = delivered(b, 'the revocation', deviceChange(device.id, (d) => d.revokedAt !== undefined));
    await a.updateDevice(device.id, (d) => ({ ...d, revokedAt: new Date().toISOString(), revokedReason: 'lost' }));
    await revokedOnB;
    expect(b.deviceSecretValid(device.id, rotated.secret)).toBe(false);
    expect(b.getDevice(device.id)).toMatchObject({ revokedReason: 'lost' });
  });

  it('home and resident changes on A are seen on B, a second resident in household order', async () => {
    const a = await node();
    const b = await node();
    const created = delivered(b, 'the home', (c) => c.kind === 'homes');
    const { home, resident: first } = await a.createHome({ name: 'Home', address: '1 Road', resident });
    await created;
    const { device } = await a.addDevice(home.id, 'bracelet', 'BR-2');

    const renamed = delivered(b, 'the renamed home', (c) => c.kind === 'homes' && c.after.name === 'Renamed');
    await a.updateHome(home.id, (h) => ({ ...h, name: 'Renamed', geo: { lat: 52.5, lon: 13.4 } }));
    await renamed;
    expect(b.getHome(home.id)).toMatchObject({ name: 'Renamed', geo: { lat: 52.5, lon: 13.4 } });

    // A couple: the second resident moves in; the bracelet becomes the first resident's (one operation, one transaction).
    const moved = delivered(b, "the bracelet's wearer", deviceChange(device.id, (d) => d.residentId === first.id));
    const second = await a.addResident(home.id, { ...resident, name: 'Li Wei' });
    await moved;
    expect(b.residentIds(home.id)).toEqual([first.id, second.id]);
    expect(b.listResidents(home.id).map((r) => r.name)).toEqual(['Wang Lan', 'Li Wei']);

    const away = delivered(b, 'the away resident', (c) => c.kind === 'residents' && c.after.id === second.id && c.after.away !== undefined);
    await a.updateResident(second.id, (r) => ({ ...r, away: { since: '2026-01-01T00:00:00.000Z', by: 'op' } }));
    await away;
    expect(b.getResident(second.id)?.away?.since).toBe('2026-01-01T00:00:00.000Z');
  });

  it('a user created and then disabled on A is seen on B, and B ends that user’s sessions', async () => {
    const a = await node();
    const b = await node();
    const sessions = new SessionStore({ store: new MemorySessions() });
    await sessions.start();
    const disconnected: string[] = [];
    const unfollow = followRegistryChanges(
        b,
        {
          disconnect: (id) => disconnected.push(id),
          watch: () => undefined,
          unwatch: () => undefined,
          retime: () => undefined,
          rehome: () => undefined,
          revokeSessions: (id, reason) => sessions.revokeUser(id, reason),
        },
        silentLogger(),
      );
    closers.push(async () => unfollow());
    const created = delivered(b, 'the new user', (c) => c.kind === 'users');
    const user = await a.createUser({ username: 'kim', role: 'operator', passwordHash: 'scrypt$x' });
    await created;
    expect(b.findUser('kim')?.id).toBe(user.id);
    const { token } = await sessions.create({ userId: user.id, username: 'kim', role: 'operator', homeIds: [] });
    const ended: string[] = [];
    sessions.onRevoked((_s, reason) => ended.push(reason));

    const disabled = delivered(b, 'the disabled user', (c) => c.kind === 'users' && c.after.disabled === true);
    await a.updateUser(user.id, (u) => ({ ...u, disabled: true }));
    await disabled;
    expect(b.getUser(user.id)?.disabled).toBe(true);
    expect(sessions.resolve(token)).toBeUndefined();
    expect(ended).toEqual(['user disabled']);
    expect(disconnected).toEqual([]);
  });

  it('B closes the connection of a device revoked or rotated on A (reactions as on the writing node)', async () => {
    const a = await node();
    const b = await node();
    const reactions: string[] = [];
    const unfollow = followRegistryChanges(
        b,
        {
          disconnect: (id) => reactions.push(`disconnect ${id}`),
          watch: (d) => reactions.push(`watch ${d.id}`),
          unwatch: (id) => reactions.push(`unwatch ${id}`),
          retime: (d) => reactions.push(`retime ${d.id} ${d.heartbeatSec}`),
          rehome: (id, homeId) => reactions.push(`rehome ${id} ${homeId}`),
          revokeSessions: async () => undefined,
        },
        silentLogger(),
      );
    closers.push(async () => unfollow());
    const { home } = await a.createHome({ name: 'One', address: 'x', resident });
    const { home: other } = await a.createHome({ name: 'Two', address: 'y', resident });
    const added = delivered(b, 'the new device', (c) => c.kind === 'devices');
    const { device } = await a.addDevice(home.id, 'bracelet', 'BR-3');
    await added;
    let next = delivered(b, 'the rotation', deviceChange(device.id));
    await a.rotateDeviceSecret(device.id);
    await next;
    next = delivered(b, 'the move', deviceChange(device.id, (d) => d.homeId === other.id));
    await a.updateDevice(device.id, (d) => ({ ...d, homeId: other.id }));
    await next;
    next = delivered(b, 'the new heartbeat', deviceChange(device.id, (d) => d.heartbeatSec === 30));
    await a.updateDevice(device.id, (d) => ({ ...d, heartbeatSec: 30 }));
    await next;
    next = delivered(b, 'the revocation', deviceChange(device.id, (d) => d.revokedAt !== undefined));
    await a.updateDevice(device.id, (d) => ({ ...d, revokedAt: 'now' }));
    await next;
    expect(reactions).toEqual([`watch ${device.id}`, `disconnect ${device.id}`, `rehome ${device.id} ${other.id}`, `retime ${device.id} 30`, `disconnect ${device.id}`, `unwatch ${device.id}`]);
  });

  it('a node does not hear its own writes back, and a record it is writing is not overwritten by an older notice', async () => {
    const a = await node();
    const b = await node();
    const heardOnA: RegistryChange[] = [];
    a.onExternalChange((changes) => heardOnA.push(...changes));
    const { home } = await a.createHome({ name: 'Mine', address: 'x', resident });
    // Notices arrive in commit order: once B's write reached A, A's own notice (earlier) was already there.
    const fromB = delivered(a, "B's user", (c) => c.kind === 'users');
    await b.createUser({ username: 'from-b', role: 'operator', passwordHash: 'scrypt$x' });
    await fromB;
    expect(heardOnA.map((c) => c.kind)).toEqual(['users']);

    // A local write in flight: an external record of the same id waits; another record is applied at once.
    const writing = a.updateHome(home.id, (h) => ({ ...h, name: 'Local' }));
    a.applyExternal({ homes: [{ ...home, name: 'Older' }] });
    expect(a.getHome(home.id)?.name).toBe('Local');
    await writing;
    expect(a.getHome(home.id)?.name).toBe('Local');
  });

  it('a notice set aside during a local write that then fails is read again: memory ends as the table is', async () => {
    const a = await node();
    const b = await node();
    const arrived = delivered(b, 'both users', (c) => c.kind === 'users' && c.after.username === 'taken');
    const user = await a.createUser({ username: 'kim', role: 'operator', passwordHash: 'scrypt$x' });
    await a.createUser({ username: 'taken', role: 'operator', passwordHash: 'scrypt$x' });
    await arrived;
    // Another node's change, committed; its notice reaches B while B's own write of the same user is in flight.
    await withClient(database.url, (c) => c.query(`UPDATE users SET body = body || '{"displayName":"Remote"}'::jsonb WHERE id = $1`, [user.id]));
    const remote = { ...b.getUser(user.id)!, displayName: 'Remote' };
    const failing = b.updateUser(user.id, (u) => ({ ...u, username: 'taken' })); // the table's unique key refuses it
    b.applyExternal({ users: [remote] });
    expect(b.getUser(user.id)?.username).toBe('taken'); // held: B's own write decides first
    const reread = delivered(b, 'the user read again after the failed write', (c) => c.kind === 'users' && c.after.displayName === 'Remote');
    await expect(failing).rejects.toThrow(/already exists/);
    await reread;
    expect(b.getUser(user.id)).toMatchObject({ username: 'kim', displayName: 'Remote' });
  });

  it('a batch too large for one notice (NOTIFY refuses 8000 bytes) reaches B whole', async () => {
    const a = await node();
    const b = await node();
    const count = 400; // ~400 homes + residents + devices: about 20 kB of ids
    const seen = new Set<string>();
    const all = new Promise<void>((resolve) =>
      b.onExternalChange((changes) => {
        for (const c of changes) if (c.kind === 'devices') seen.add(c.after.id);
        if (seen.size === count) resolve();
      }),
    );
    const created = await a.createHomes(Array.from({ length: count }, (_, i) => ({ name: `H${i}`, address: 'x', resident, devices: [{ kind: 'smoke_sensor', serial: `S-${i}` }] })));
    await all;
    expect(b.listHomes()).toHaveLength(count);
    const { device, secret } = created[count - 1]!.devices[0]!;
    expect(b.deviceSecretValid(device.id, secret)).toBe(true);
  });

  it('after its feed connection is cut and restored, B reloads everything: a device revoked meanwhile is refused, one added meanwhile accepted', async () => {
    const proxy: TcpProxy = await startTcpProxy(Number(new URL(database.url).port || 5432));
    closers.push(() => proxy.close());
    const a = await node();
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);
    const b = await node(viaProxy.toString());
    const feedOfB = storeOf.get(b)!.changeFeed;
    const { home, ...kept } = await bracelet(a, b, 'BR-KEEP');
    expect(b.deviceSecretValid(kept.device.id, kept.secret)).toBe(true);

    await proxy.cut();
    await waitFor(() => !feedOfB.upToDate, "B's feed noticing the cut");
    await a.updateDevice(kept.device.id, (d) => ({ ...d, revokedAt: new Date().toISOString(), revokedReason: 'stolen' }));
    const added = await a.addDevice(home.id, 'smoke_sensor', 'SM-NEW');
    // Missed: B still has the old state while cut off.
    expect(b.deviceSecretValid(kept.device.id, kept.secret)).toBe(true);

    const revokedOnB = delivered(b, 'the revocation missed while cut', deviceChange(kept.device.id, (d) => d.revokedAt !== undefined));
    const reloaded: string[] = [];
    b.onExternalChange((changes) => reloaded.push(...changes.map((c) => c.after.id)));
    await proxy.restore();
    await revokedOnB;
    await waitFor(() => feedOfB.upToDate, "B's feed up to date again");
    // Only what changed is announced: the unchanged home and resident (with their undefined fields) are not.
    expect(reloaded.sort()).toEqual([kept.device.id, added.device.id].sort());
    expect(b.deviceSecretValid(kept.device.id, kept.secret)).toBe(false);
    expect(b.deviceSecretValid(added.device.id, added.secret)).toBe(true);

    // And it keeps following afterwards.
    const after = delivered(b, 'a change after the reload', (c) => c.kind === 'homes' && c.after.name === 'After');
    await a.updateHome(home.id, (h) => ({ ...h, name: 'After' }));
    await after;
  });

  it('a feed connection that silently stops carrying notices (half-open) is found by its ping, then everything is reloaded', async () => {
    const a = await node();
    const { home } = await a.createHome({ name: 'Home', address: 'x', resident });
    // Only the feed's own connection goes through the proxy; it reads the rows directly.
    const proxy = await startTcpProxy(Number(new URL(database.url).port || 5432));
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);
    const reader = new PgRegistryStore(new PgDatabase({ url: database.url }));
    const proxied = new PgDatabase({ url: viaProxy.toString() });
    proxied.acquire();
    const feed = new PgRegistryFeed({
      db: proxied,
      origin: 'test-reader',
      open: () => proxied.ready(),
      loadAll: () => reader.load(),
      loadSome: (refs) => reader.loadSome(refs),
      retryMs: { first: 20, max: 200 },
      ping: { everyMs: 100, timeoutMs: 300 },
    });
    closers.push(() => reader.close());
    closers.push(() => proxied.release());
    closers.push(() => feed.stop());
    closers.push(() => proxy.close());
    const got: { how: 'notice' | 'resync'; devices: DeviceRecord[] }[] = [];
    await feed.listen();
    feed.attach({ applyExternal: (c) => got.push({ how: 'notice', devices: c.devices ?? [] }), resync: (r) => got.push({ how: 'resync', devices: r.devices }) });
    const { device } = await a.addDevice(home.id, 'bracelet', 'BR-HALF');
    await waitFor(() => got.some((g) => g.how === 'notice' && g.devices.some((d) => d.id === device.id)), 'the new device by notice');

    proxy.silence();
    await a.updateDevice(device.id, (d) => ({ ...d, revokedAt: new Date().toISOString() })); // its notice goes nowhere
    await waitFor(() => got.some((g) => g.how === 'resync' && g.devices.some((d) => d.id === device.id && d.revokedAt)), 'the revocation, by a full reload');
    expect(got.filter((g) => g.how === 'notice').flatMap((g) => g.devices.filter((d) => d.revokedAt))).toEqual([]);
    await waitFor(() => feed.upToDate, 'the feed listening again');
  });

  it('an unreadable notice, or `reload`, makes B read every record again (rows edited by hand are picked up)', async () => {
    const a = await node();
    const b = await node();
    const { home, device, secret } = await bracelet(a, b, 'BR-HAND');
    // Edited by hand, without a notice: nobody hears of it yet.
    await withClient(database.url, (c) => c.query(`UPDATE devices SET body = body || '{"revokedAt":"2026-01-01T00:00:00.000Z"}'::jsonb WHERE id = $1`, [device.id]));
    expect(b.deviceSecretValid(device.id, secret)).toBe(true);
    let reloaded = delivered(b, 'the hand edit, after a garbage notice', deviceChange(device.id, (d) => d.revokedAt !== undefined));
    await withClient(database.url, (c) => c.query(`NOTIFY registry_changed, '{"not": "a notice"'`));
    await reloaded;
    expect(b.deviceSecretValid(device.id, secret)).toBe(false);

    await withClient(database.url, (c) => c.query(`UPDATE homes SET body = body || '{"name":"By hand"}'::jsonb WHERE id = $1`, [home.id]));
    reloaded = delivered(b, 'the hand edit, after `reload`', (c) => c.kind === 'homes' && c.after.name === 'By hand');
    await withClient(database.url, (c) => c.query(`NOTIFY registry_changed, 'reload'`));
    await reloaded;
    // A's memory follows the hand edit as well: it skips only notices that carry its own origin.
    await waitFor(() => a.getHome(home.id)?.name === 'By hand', 'A reloading too');
  });

  it('a notice naming records that do not exist changes nothing', async () => {
    const b = await node();
    const a = await node();
    const heard: RegistryChange[] = [];
    b.onExternalChange((changes) => heard.push(...changes));
    await withClient(database.url, (c) => c.query(`SELECT pg_notify('registry_changed', '{"o":"someone","devices":["brc-00000000"],"homes":["home-nothere"]}')`));
    // A later real change arrives after it (commit order), so by then the empty one was handled.
    const later = delivered(b, 'a real change after the empty notice', (c) => c.kind === 'users');
    await a.createUser({ username: 'after', role: 'operator', passwordHash: 'scrypt$x' });
    await later;
    expect(heard.map((c) => c.kind)).toEqual(['users']);
    expect(b.getDevice('brc-00000000')).toBeUndefined();
    expect(b.getHome('home-nothere')).toBeUndefined();
  });

  it('catch-up before a write: a record this node has not heard of yet (another node made it a moment ago) is read from the table, and then held', async () => {
    const a = await node();
    const b = await node();
    const made = delivered(b, 'the home made on A', (c) => c.kind === 'homes');
    const { home } = await a.createHome({ name: 'Seen', address: '2 Road', resident });
    await made;
    // A row whose notice has not arrived (here: never sent), as B sees a home created on A a moment ago.
    await withClient(database.url, (c) => c.query(`INSERT INTO homes (id, body) SELECT 'home-unheard', jsonb_set(body, '{id}', '"home-unheard"') FROM homes WHERE id = $1`, [home.id]));
    expect(b.getHome('home-unheard')).toBeUndefined();
    expect(b.catchUp('homes', home.id)).toBeUndefined(); // held already: nothing to wait for
    await b.catchUp('homes', 'home-unheard', 60_000);
    expect(b.getHome('home-unheard')?.name).toBe('Seen');
  });

  it('catch-up of an id nobody created: the wait ends when the table was read (not at the bound), and nothing changes', async () => {
    const b = await node();
    const heard: RegistryChange[] = [];
    b.onExternalChange((changes) => heard.push(...changes));
    // The bound is the test's own timeout: resolving means the feed's reload ended.
    await b.catchUp('devices', 'brc-nobody', 120_000);
    expect(b.getDevice('brc-nobody')).toBeUndefined();
    expect(heard).toEqual([]);
  });
});

describe('registry change feed: comparing memory with the table', () => {
  it('sees records equal as JSON (undefined fields, key order) and tells any real difference', () => {
    const inMemory = { id: 'd', homeId: 'h', residentId: undefined, tags: ['a', { x: 1, y: undefined }], nested: { b: 2, a: 1 } };
    expect(sameRecord(inMemory, { nested: { a: 1, b: 2 }, tags: ['a', { x: 1 }], homeId: 'h', id: 'd' })).toBe(true);
    expect(sameRecord(inMemory, { id: 'd', homeId: 'h', tags: ['a', { x: 1 }], nested: { a: 1, b: 3 } })).toBe(false);
    expect(sameRecord(inMemory, { id: 'd', homeId: 'h', tags: ['a', { x: 1 }, 'b'], nested: { a: 1, b: 2 } })).toBe(false);
    expect(sameRecord(inMemory, { id: 'd', homeId: 'h', residentId: 'r', tags: ['a', { x: 1 }], nested: { a: 1, b: 2 } })).toBe(false);
    expect(sameRecord({ revokedAt: undefined }, { revokedAt: '2026-01-01' })).toBe(false);
    expect(sameRecord({ a: [] }, { a: {} })).toBe(false);
    expect(sameRecord({ a: null }, { a: null })).toBe(true);
  });
});

describe('registry change feed: the files', () => {
  it('have none (one process owns the data dir); the registry runs as before', async () => {
    const temp = await makeTempDir('registry-feed-files-');
    closers.push(() => temp.remove());
    const store: RegistryStore = new RegistryFiles(`${temp.path}/registry`);
    expect(store.changeFeed).toBeUndefined();
    const registry = new Registry(store);
    await registry.start();
    closers.push(() => registry.stop());
    const { home } = await registry.createHome({ name: 'Files', address: 'x', resident });
    expect(registry.getHome(home.id)?.name).toBe('Files');
    // Nothing to catch up with: no other process writes the files.
    expect(registry.catchUp('homes', 'home-elsewhere')).toBeUndefined();
  });
});
