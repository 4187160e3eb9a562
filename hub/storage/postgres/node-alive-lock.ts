/**
 * A node's "I am alive" as the database sees it (HUB_PARTITIONS=spread,
 * docs/CLUSTER.md "Owners"): a session-level advisory lock keyed by the node
 * id, held on a connection of its own for the node's whole life. PostgreSQL
 * releases it the moment it sees that session end — a node killed with -9,
 * its host gone, or its network cut long enough for the server's keep-alive
 * — so the other balancers can take the node's partitions at once instead
 * of waiting for its leases to run out (partition-balance-sql.ts
 * `deadOwnersFree`, readLiveNodeIds).
 *
 * Taking early is safe whatever the node's real state: every batch names the
 * epoch of each partition it writes, and the take moves the epoch; a batch of
 * the old owner still in flight holds its lease rows FOR SHARE, which the take
 * skips (SKIP LOCKED) until it has committed. A frozen node keeps its session,
 * hence its lock: its partitions go when its leases run out, as before.
 */
import type { Client } from 'pg';
import type { PgDatabase } from './database.js';
import { isConnectionError } from './errors.js';

/** The advisory lock's first key: the class of "a node is alive" locks ('NO'); the second is hashtext(node id). */
export const NODE_ALIVE_LOCK_CLASS = 0x4e4f;

/** SQL: whether the node named by `ownerExpr` holds its alive lock now (any session). */
export function nodeAliveSql(ownerExpr: string): string {
  return `EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.classid = ${NODE_ALIVE_LOCK_CLASS} AND k.objid = hashtext(${ownerExpr})::oid AND k.objsubid = 2 AND k.granted)`;
}

const RETRY_MS = { min: 250, max: 5_000 };

export class NodeAliveLock {
  private client: Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: PgDatabase,
    private readonly nodeId: string,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  /** Whether this process holds its lock now. */
  get held(): boolean {
    return this.client !== undefined;
  }

  /** Takes the lock (the first time must succeed: the database was just reached); held again after a lost connection. */
  async start(): Promise<void> {
    await this.take();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async take(): Promise<void> {
    const client = await this.db.connectDedicated(`home-care-hub node alive (${this.nodeId})`);
    // As notify-listener.ts: an error, or an end without one (the server closing the session), loses the lock.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, undefined));
    try {
      // Waits if another session holds it: a restarted node whose old session the server has not ended yet.
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [NODE_ALIVE_LOCK_CLASS, this.nodeId]);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.stopped) return void (await client.end().catch(() => undefined));
    this.client = client;
  }

  private lost(client: Client, err: Error | undefined): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (err && !isConnectionError(err)) this.onError(err);
    this.again(RETRY_MS.min);
  }

  private again(delayMs: number): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      this.take().catch((err: unknown) => {
        this.onError(err instanceof Error ? err : new Error(String(err)));
        this.again(Math.min(RETRY_MS.max, delayMs * 2));
      });
    }, delayMs);
    this.retry.unref();
  }
}
