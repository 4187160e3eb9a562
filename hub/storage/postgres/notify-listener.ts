/**
 * LISTEN on one channel over a connection of its own (a pooled connection
 * cannot keep a LISTEN: it is handed to other queries). A notification is a
 * wake-up only, and PostgreSQL drops those sent while no session listens: so
 * when the connection is lost it is made again (with back-off), and after
 * every (re)connection the listener is woken once to catch up on what it may
 * have missed.
 */
import type { Client } from 'pg';
import type { PgDatabase } from './database.js';

export interface NotifyListenerOptions {
  db: PgDatabase;
  /** A plain identifier (it is quoted into LISTEN, which takes no parameters). */
  channel: string;
  /** With the notification's payload; without one after every (re)connection (a catch-up: some may have been missed). */
  onWake: (payload?: string) => void;
  /** Back-off between attempts to reconnect. */
  retryDelayMs?: { min: number; max: number };
}

export class NotifyListener {
  private client: Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private delay: number;
  private closed = false;

  constructor(private readonly options: NotifyListenerOptions) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`notify listener: bad channel name ${options.channel}`);
    this.delay = this.delays.min;
  }

  /** Listens (the first connection must succeed: the database was just reached), then wakes once. */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (err) {
      await this.close();
      throw err;
    }
    this.options.onWake();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private get delays(): { min: number; max: number } {
    return this.options.retryDelayMs ?? { min: 200, max: 5_000 };
  }

  private async connect(): Promise<void> {
    const client = await this.options.db.connectDedicated(`home-care-hub listen ${this.options.channel}`);
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (err) this.options.db.noteConnectionError(err);
      client.end().catch(() => undefined);
      if (this.client === client) this.client = undefined;
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => this.options.onWake(message.payload));
    try {
      await client.query(`LISTEN ${this.options.channel}`);
    } catch (err) {
      onLost(err as Error);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.delay = this.delays.min;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      this.connect().then(
        () => this.options.onWake(),
        () => this.scheduleReconnect(), // no-op when the lost connection already scheduled it
      );
    }, this.delay);
    this.retryTimer.unref();
    this.delay = Math.min(this.delays.max, this.delay * 2);
  }
}
