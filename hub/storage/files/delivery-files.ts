/**
 * The delivery log on files (DeliveryLogStore): `<dataDir>/notifications/deliveries-YYYY-MM.jsonl`,
 * one JSON line per queued delivery, attempt or drop, appended with group
 * commit (one write + fdatasync per batch, one batch in flight) and replayed
 * at start so pending deliveries and the log survive a restart.
 *
 * Why a file of its own and not the alert journal: a dead gateway makes
 * thousands of attempt lines an hour, and every journal batch is something an
 * alarm's PUBACK waits on (DESIGN.md §6); notification bookkeeping must never
 * lengthen that. It also keeps the journal's hash chain to alerts and audit.
 * Webhook configuration changes are audited in the journal as usual.
 *
 * Best effort by design: a failed write is logged and counted, never thrown
 * into the alert path. A torn last line after kill -9 is skipped on load.
 */
import { open, readdir, readFile, mkdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import { previousMonth, utcMonthOf } from '../../core/months.js';
import type { DeliveryLine } from '../../notify/types.js';
import type { DeliveryLogStore } from '../ports.js';

const FILE = /^deliveries-(\d{4}-\d{2})\.jsonl$/;

export class DeliveryFiles implements DeliveryLogStore {
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;
  private handle: FileHandle | undefined;
  private handleMonth: string | undefined;
  private closed = false;
  writeErrors = 0;

  constructor(
    private readonly dir: string,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  get location(): string {
    return this.dir;
  }

  /**
   * Reads this month's and last month's files in order. Older files stay on
   * disk but are not loaded: nothing in them can still be pending (a delivery
   * lives at most a quiet night plus one hour).
   */
  async load(): Promise<DeliveryLine[]> {
    const current = utcMonthOf(this.now());
    const wanted = new Set([current, previousMonth(current)]);
    return this.readMonths((month) => wanted.has(month));
  }

  /** Every line of every month, oldest first: what migrate:to-postgres copies. Creates nothing. */
  loadAll(): Promise<DeliveryLine[]> {
    return this.readMonths(() => true, false);
  }

  private async readMonths(wanted: (month: string) => boolean, create = true): Promise<DeliveryLine[]> {
    if (create) await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' && !create) return [] as string[];
      throw err;
    });
    const files = names.filter((f) => FILE.test(f) && wanted(FILE.exec(f)![1]!)).sort();
    const lines: DeliveryLine[] = [];
    for (const file of files) {
      const text = await readFile(join(this.dir, file), 'utf8');
      let skipped = 0;
      for (const raw of text.split('\n')) {
        if (!raw) continue;
        try {
          lines.push(JSON.parse(raw) as DeliveryLine);
        } catch {
          skipped++;
        }
      }
      if (skipped > 0) this.log.warn({ file, skipped }, 'delivery log: unreadable lines skipped (a torn write at a crash)');
    }
    return lines;
  }

  append(line: DeliveryLine): void {
    if (this.closed) return;
    this.pending.push(`${JSON.stringify(line)}\n`);
    if (!this.flushing) this.flushing = this.flushLoop();
  }

  /** Resolves once everything appended so far is on disk (or failed and was logged). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.join('');
        this.pending = [];
        try {
          const handle = await this.fileFor(utcMonthOf(this.now()));
          await handle.write(batch);
          await handle.datasync();
        } catch (err) {
          this.writeErrors++;
          this.log.error({ err, dir: this.dir }, 'delivery log write failed: notifications still go out, but this batch of the log is lost');
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async fileFor(month: string): Promise<FileHandle> {
    if (this.handle && this.handleMonth === month) return this.handle;
    await this.handle?.close().catch(() => undefined);
    this.handle = await open(join(this.dir, `deliveries-${month}.jsonl`), 'a', 0o600);
    this.handleMonth = month;
    return this.handle;
  }
}
