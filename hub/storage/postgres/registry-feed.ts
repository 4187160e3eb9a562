/**
 * The registry change feed on PostgreSQL (issue 12): every node keeps the
 * registry in memory — the device secret check is on the hot path — so each
 * node must follow the writes made through another one. Every registry write
 * NOTIFYs `registry_changed` in its transaction (registry-notice.ts); this
 * feed LISTENs on a dedicated connection, reads the named rows again and
 * hands them to the Registry.
 *
 * NOTIFY is fire-and-forget: a notice sent while this connection is down is
 * gone. So after a lost connection the feed reconnects, LISTENs again and only
 * then reloads every record: a device revoked meanwhile must not keep
 * authenticating here. A connection that looks open but no longer carries
 * anything (a half-open TCP connection after a network cut) is found by a
 * periodic ping that must answer in time.
 *
 * Reloads run one at a time, in the order they were noticed, each reading
 * the rows as they are now: a later reload never hands over older data than
 * an earlier one.
 */
import type { Client } from 'pg';
import type { Logger } from '../../core/logger.js';
import type { RegistryChangeFeed, RegistryChanges, RegistryFeedSink, RegistryKind, RegistryRecords, RegistryRefs } from '../ports.js';
import type { PgDatabase } from './database.js';
import { readNotice, REGISTRY_CHANNEL } from './registry-notice.js';

/** Records per hand-over of a full reload (see handOverInSlices). */
const RESYNC_SLICE = 2_000;

export interface PgRegistryFeedOptions {
  db: PgDatabase;
  /** This process's writes carry it: their notices are skipped (its memory already has them). */
  origin: string;
  /** Readies the database for the store (its share of the pool, the migrations) before the first connection. */
  open(): Promise<void>;
  loadAll(): Promise<RegistryRecords>;
  loadSome(refs: RegistryRefs): Promise<RegistryChanges>;
  log?: Logger | undefined;
  /** Waits between attempts to reconnect, or to reload after a failed read: doubling from `first` up to `max`. */
  retryMs?: { first: number; max: number } | undefined;
  /** How often the idle connection is asked `SELECT 1`, and how long the answer may take before it counts as lost. */
  ping?: { everyMs: number; timeoutMs: number } | undefined;
}

export class PgRegistryFeed implements RegistryChangeFeed {
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private sink: RegistryFeedSink | undefined;
  /** Records noticed and not yet reloaded. */
  private readonly noticed = new Map<RegistryKind, Set<string>>();
  /** Set on reconnecting (and by a `reload` notice): every record is read again before anything else. */
  private everything = false;
  /** A full reload is being read or handed over. */
  private catchingUp = false;
  private reloading: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  /** reload() callers waiting for the next reload to begin and end (the running one read its records before they asked). */
  private awaitingReload: (() => void)[] = [];

  constructor(private readonly options: PgRegistryFeedOptions) {}

  get upToDate(): boolean {
    return this.client !== undefined && !this.everything && !this.catchingUp;
  }

  async listen(): Promise<void> {
    await this.options.open();
    await this.connect();
  }

  attach(sink: RegistryFeedSink): void {
    this.sink = sink;
    this.kick();
  }

  reload(refs: RegistryRefs): Promise<void> {
    this.note(refs);
    const reloaded = new Promise<void>((resolve) => this.awaitingReload.push(resolve));
    this.kick();
    return reloaded;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const reloaded of this.awaitingReload.splice(0)) reloaded();
    for (const timer of [this.reconnectTimer, this.reloadTimer, this.pingTimer]) clearTimeout(timer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.reloading;
  }

  private connect(): Promise<void> {
    this.connecting ??= this.connectAndListen().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connectAndListen(): Promise<void> {
    const client = await this.options.db.connectDedicated(`home-care-hub registry feed (pid ${process.pid})`);
    // Without listeners node-postgres throws a connection error the server causes while idle.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('the connection ended')));
    client.on('notification', (message) => message.channel === REGISTRY_CHANNEL && this.notice(message.payload ?? ''));
    try {
      await client.query(`LISTEN ${REGISTRY_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.schedulePing(client);
  }

  private notice(payload: string): void {
    const notice = readNotice(payload);
    if (notice.kind === 'everything') {
      this.options.log?.warn(`registry feed: ${notice.why}; reloading every record`);
      this.everything = true;
    } else if (notice.origin !== this.options.origin) {
      this.note(notice.refs);
    }
    this.kick();
  }

  private note(refs: RegistryRefs): void {
    for (const [kind, ids] of Object.entries(refs) as [RegistryKind, string[]][]) {
      const set = this.noticed.get(kind) ?? new Set<string>();
      for (const id of ids) set.add(id);
      this.noticed.set(kind, set);
    }
  }

  private takeNoticed(): RegistryRefs {
    const refs: RegistryRefs = {};
    for (const [kind, ids] of this.noticed) refs[kind] = [...ids];
    this.noticed.clear();
    return refs;
  }

  /** Starts the next reload unless one runs, the sink is not attached yet, or the connection is down (its return reloads everything). */
  private kick(): void {
    if (this.reloading || !this.sink || !this.client || this.stopped) return;
    if (!this.everything && this.noticed.size === 0) return;
    const waiters = this.awaitingReload;
    this.awaitingReload = [];
    this.reloading = this.reloadOnce(this.sink).then(
      () => {
        this.failures = 0;
        this.reloading = undefined;
        for (const reloaded of waiters) reloaded();
        this.kick();
      },
      (err: unknown) => {
        this.reloading = undefined;
        for (const reloaded of waiters) reloaded();
        this.options.log?.warn({ err: (err as Error).message }, 'registry feed: reading the changed records failed; trying again');
        clearTimeout(this.reloadTimer);
        this.reloadTimer = this.later(() => this.kick());
      },
    );
  }

  /** One reload; on failure what it was to read stays noticed for the next attempt. */
  private async reloadOnce(sink: RegistryFeedSink): Promise<void> {
    if (this.everything) {
      this.everything = false;
      this.catchingUp = true;
      this.noticed.clear(); // a full read covers them
      try {
        await this.handOverInSlices(await this.options.loadAll(), sink);
      } catch (err) {
        this.everything = true;
        throw err;
      } finally {
        this.catchingUp = false;
      }
      return;
    }
    const refs = this.takeNoticed();
    let changes: RegistryChanges;
    try {
      changes = await this.options.loadSome(refs);
    } catch (err) {
      this.note(refs);
      throw err;
    }
    this.deliver(() => sink.applyExternal(changes));
  }

  /**
   * A full reload compares every record with memory on the thread the broker
   * runs on (~3 µs a record): handed over in slices with a turn of the event
   * loop between them, so 100,000 records do not hold up alarms for 0.3 s.
   * Homes and residents go before the devices that point to them.
   */
  private async handOverInSlices(records: RegistryRecords, sink: RegistryFeedSink): Promise<void> {
    for (const kind of ['homes', 'residents', 'devices', 'users'] as const) {
      for (let i = 0; i < records[kind].length; i += RESYNC_SLICE) {
        const slice: RegistryRecords = { homes: [], residents: [], devices: [], users: [] };
        (slice[kind] as unknown[]) = records[kind].slice(i, i + RESYNC_SLICE);
        this.deliver(() => sink.resync(slice));
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  /** The records are in the registry's memory even when a listener of its changes fails: logged, not read again. */
  private deliver(hand: () => void): void {
    try {
      hand();
    } catch (err) {
      this.options.log?.error({ err }, 'registry feed: a listener of registry changes failed on reloaded records');
    }
  }

  private lost(client: Client, err: unknown, silent = false): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearTimeout(this.pingTimer);
    client.end().catch(() => undefined);
    // A connection that stopped answering would never finish a polite end (its socket would linger
    // until TCP keepalive, hours): its socket is destroyed. node-postgres has no public call for it.
    if (silent) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    if (this.stopped) return;
    this.options.log?.warn(
      { err: (err as Error).message },
      'registry feed lost: changes made through other nodes are not seen here until it is back; reconnecting, then reloading every record',
    );
    this.reconnectLater();
  }

  private reconnectLater(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.later(() =>
      this.connect().then(
        () => {
          if (this.stopped) return;
          this.failures = 0;
          this.options.log?.info('registry feed back: reloading every record');
          this.everything = true;
          this.kick();
        },
        () => this.reconnectLater(),
      ),
    );
  }

  /** Runs `attempt` after the next back-off delay (never holding the process open); nothing once stopped. */
  private later(attempt: () => void): NodeJS.Timeout | undefined {
    if (this.stopped) return undefined;
    const { first, max } = this.options.retryMs ?? { first: 100, max: 5_000 };
    const delay = Math.min(max, first * 2 ** this.failures);
    this.failures += 1;
    return setTimeout(attempt, delay).unref();
  }

  /** A quiet connection is asked to answer now and then: one that cannot is treated as lost. */
  private schedulePing(client: Client): void {
    const { everyMs, timeoutMs } = this.options.ping ?? { everyMs: 15_000, timeoutMs: 5_000 };
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => {
      let timeout: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timeout = setTimeout(() => reject(new Error(`no answer to a ping within ${timeoutMs} ms`)), timeoutMs);
      });
      Promise.race([client.query('SELECT 1'), late]).then(
        () => this.client === client && this.schedulePing(client),
        (err: unknown) => this.lost(client, err, true),
      ).finally(() => clearTimeout(timeout));
    }, everyMs);
    this.pingTimer.unref();
  }
}
