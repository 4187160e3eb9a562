/**
 * Where each cluster node answers HTTP, by node id (issue 12 step 3; table
 * `cluster_node`, migration 0010). A front that passes a console's write to
 * the owner of the home's partition knows the owner by its node id
 * (`partition_lease.owner`); this is how it finds the URL. Reused rather than
 * new: cluster_leader has only the leader's URL, and the Redis heartbeats
 * (command-relay.ts) carry node ids only.
 *
 * Each node announces itself when it starts (the row is upserted: a node that
 * restarts on another address replaces its own) and again every
 * `announceEveryMs`, which puts back a row deleted by hand and keeps
 * `seen_at` telling an operator which rows are live. The URL is the one the
 * node writes into cluster_leader when it leads (HUB_ADVERTISE_URL, or its
 * own listener).
 */
import type { Queryable } from './journal-sql.js';
import { nodeAliveSql } from './node-alive-lock.js';

/** How often a running node writes its row again. */
const DEFAULT_ANNOUNCE_EVERY_MS = 30_000;

export interface NodeAddress {
  nodeId: string;
  httpUrl: string;
  seenAt: Date;
}

const ANNOUNCE = `
INSERT INTO cluster_node (node_id, http_url, seen_at) VALUES ($1, $2, now())
ON CONFLICT (node_id) DO UPDATE SET http_url = EXCLUDED.http_url, seen_at = EXCLUDED.seen_at`;

/** Writes (or rewrites) this node's row. */
export async function announceNode(db: Queryable, nodeId: string, httpUrl: string): Promise<void> {
  await db.query(ANNOUNCE, [nodeId, httpUrl]);
}

/**
 * The nodes that announced themselves within `withinMs`, by the database's
 * clock: the live nodes a lease balancer spreads the partitions over
 * (HUB_PARTITIONS=spread, announcing every fifth of the lease). A killed
 * node drops out after `withinMs`, as its leases run out: nobody leaves its
 * partitions to it past that.
 */
export async function readLiveNodeIds(db: Queryable, withinMs: number, withAliveLock = false): Promise<string[]> {
  // With alive locks (node-alive-lock.ts), a node whose session is gone is dead at once, whatever its row says.
  const alive = withAliveLock ? ` AND ${nodeAliveSql('node_id')}` : '';
  const { rows } = await db.query<{ node_id: string }>(`SELECT node_id FROM cluster_node WHERE seen_at > now() - $1 * interval '1 millisecond'${alive} ORDER BY node_id`, [withinMs]);
  return rows.map((r) => r.node_id);
}

/** Every node's last announced URL. */
export async function readNodeAddresses(db: Queryable): Promise<NodeAddress[]> {
  const { rows } = await db.query<{ node_id: string; http_url: string; seen_at: Date }>('SELECT node_id, http_url, seen_at FROM cluster_node ORDER BY node_id');
  return rows.map((r) => ({ nodeId: r.node_id, httpUrl: r.http_url, seenAt: r.seen_at }));
}

export interface NodeAnnouncerOptions {
  db: Queryable;
  nodeId: string;
  /** This node's base URL (`http://10.0.0.5:8080`); undefined: nothing to announce (a node without a listener). */
  httpUrl: () => string | undefined;
  announceEveryMs?: number;
  /** A refresh that failed (the database unreachable): tried again at the next one. */
  onError?: (err: Error) => void;
}

/** Announces this node at start and keeps its row fresh: a service (start / stop). */
export class NodeAnnouncer {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: NodeAnnouncerOptions) {}

  /** The first announcement must succeed (the database was just reached); later ones report to onError. */
  async start(): Promise<void> {
    await this.announce();
    this.timer = setInterval(() => this.announce().catch((err: unknown) => this.options.onError?.(err as Error)), this.options.announceEveryMs ?? DEFAULT_ANNOUNCE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * A clean stop, before the node gives its partitions up: it stops
   * announcing and says it is gone (`seen_at` in the past), so the other
   * balancers take its partitions at once instead of leaving them to it for
   * a lease. Best effort: a database that does not answer costs that lease.
   */
  async retire(): Promise<void> {
    this.stop();
    await this.options.db.query("UPDATE cluster_node SET seen_at = '-infinity' WHERE node_id = $1", [this.options.nodeId]).catch((err: unknown) => this.options.onError?.(err as Error));
  }

  private async announce(): Promise<void> {
    const url = this.options.httpUrl();
    if (url) await announceNode(this.options.db, this.options.nodeId, url);
  }
}
