/**
 * A cluster standby's running copy of the journal (issue 12; docs/CLUSTER.md
 * "Read replicas"): while the standby waits for the writer lock, it reads
 * every line the leader commits and applies it through the same replay step
 * the start uses, so its in-memory stores (alerts, audit, commands, dedupe…)
 * follow the leader's. When it takes the lock it replays only what came after
 * its last line, not the whole journal: a promotion's cost no longer grows
 * with the journal's age (a city's year of alerts would otherwise be
 * replayed inside the failover).
 *
 * How it learns of new lines: the leader's batch INSERT sends `NOTIFY
 * hub_journal` (journal-sql.ts, cluster only) as a wake-up; the tail then
 * reads `WHERE n > $last` in keyset pages. Notifications sent while its
 * LISTEN connection was down are lost, so the listener wakes it after every
 * reconnect, and a safety poll wakes it every `pollMs` as well. Reads go
 * through the pool: the standby holds no lock, and the journal's single
 * writer commits batches strictly in n order, so a read never sees a gap.
 *
 * A wake during a read does not start a second one: it asks for one more
 * read once the current one is done, so lines are applied once each, in n
 * order. A failed read (the database unreachable) is logged and tried again
 * at the next wake; nothing is skipped, since the next read starts after the
 * last line applied.
 */
import { Throttle } from '../../core/log-throttle.js';
import type { PgDatabase } from './database.js';
import { JOURNAL_CHANNEL, scanJournal, type StoredLine } from './journal-sql.js';
import { NotifyListener } from './notify-listener.js';

/**
 * Lines per read while following. A standby serves devices while it reads: a
 * page is applied in one go (~19 µs a line here), so 1,000 lines hold its
 * event loop ~20 ms at most, where the start's 5,000 would hold it ~100 ms
 * at every page of a restarted standby's catch-up.
 */
const TAIL_PAGE_LINES = 1_000;

export interface JournalTailDeps {
  db: PgDatabase;
  /** The journal's own replay step for one stored line (chain check, replayers, message keys, n). */
  apply(line: StoredLine): void;
  /** The n of the last line applied: each read continues after it. */
  lastN(): number;
  /** Safety poll: a read at least this often even without a notification. Default 5 s. */
  pollMs?: number;
  /** A read failed (the database unreachable): told at most once per 10 s; the next wake reads again. */
  onReadError?(message: string): void;
  /** Awaited before each page is applied when it returns a promise (scanJournal). */
  beforePage?(rows: readonly { n: string; writer: string | null }[]): Promise<void> | undefined;
}

export class JournalTail {
  /** Set once LISTEN is in place; it reconnects by itself from then on (notify-listener.ts). */
  private listener: NotifyListener | undefined;
  private listening: Promise<void> | undefined;
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly throttle = new Throttle(10_000);
  /** Reads completed (tests and /health). */
  reads = 0;
  /** Lines applied. */
  applied = 0;
  private caughtUpOnce = false;
  private lastReadFailed = false;
  /**
   * Whether this copy is current enough to answer console reads (docs/CLUSTER.md
   * "Reads on any node"): a read has caught up at least once, and the last one
   * did not fail. A node that cannot read the journal passes reads to the leader.
   */
  get current(): boolean {
    return this.caughtUpOnce && !this.lastReadFailed && !this.stopped;
  }
  /**
   * Resolves once the first read has ended (caught up with what was there when
   * it began, or failed, or stopped): until then this node is not ready to
   * lead (journal-pg.ts).
   */
  readonly firstRead: Promise<void>;
  private firstReadEnded: () => void = () => undefined;

  constructor(private readonly deps: JournalTailDeps) {
    this.firstRead = new Promise((resolve) => (this.firstReadEnded = resolve));
  }

  /**
   * Listens, then reads everything already there (the listener wakes once
   * when it listens, so nothing committed in between is missed). Resolves
   * once LISTEN is in place, or has failed: the wait for the lock must not
   * fail for it, the poll reads all the same (only later) and tries to listen
   * again. The first read goes on in the background.
   */
  async start(): Promise<void> {
    await this.listen();
    this.pollTimer = setInterval(() => this.poll(), this.pollMs);
    this.pollTimer.unref();
  }

  /** Resolves when every line read so far has been applied; applies none after. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.firstReadEnded();
    clearInterval(this.pollTimer);
    await this.listening;
    await this.listener?.close();
    await this.reading;
  }

  private listen(): Promise<void> {
    this.listening ??= (async () => {
      const listener = new NotifyListener({ db: this.deps.db, channel: JOURNAL_CHANNEL, onWake: () => this.wake() });
      try {
        await listener.start();
        if (this.stopped) await listener.close();
        else this.listener = listener;
      } catch (err) {
        this.deps.onReadError?.(`standby: cannot listen for the leader's journal lines (${(err as Error).message}); reading them every ${this.pollMs} ms until it can`);
        this.wake();
      } finally {
        this.listening = undefined;
      }
    })();
    return this.listening;
  }

  private poll(): void {
    if (!this.listener && !this.listening) void this.listen();
    this.wake();
  }

  private get pollMs(): number {
    return this.deps.pollMs ?? 5_000;
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readUntilQuiet().finally(() => (this.reading = undefined));
  }

  private applyOne(line: StoredLine): boolean {
    if (this.stopped) return false;
    this.deps.apply(line);
    this.applied += 1;
    return true;
  }

  private async readUntilQuiet(): Promise<void> {
    do {
      this.readAgain = false;
      try {
        await scanJournal(this.deps.db, (line) => this.applyOne(line), TAIL_PAGE_LINES, this.deps.lastN(), this.deps.beforePage?.bind(this.deps));
        this.caughtUpOnce = true;
        this.lastReadFailed = false;
      } catch (err) {
        this.lastReadFailed = true;
        const passed = this.throttle.pass('read');
        if (passed) this.deps.onReadError?.(`standby: reading the journal failed (${(err as Error).message}); trying again at the next notification or poll`);
      }
      this.reads += 1;
      this.firstReadEnded();
    } while (this.readAgain && !this.stopped);
  }
}
