/**
 * Who owns each home partition, and where that node answers HTTP, as
 * PostgreSQL says (issue 12 step 3): the PartitionDirectory port
 * (hub/core/partition-directory.ts) over `partition_lease` (migration 0005,
 * the lease balancer's rows: partition-owner.ts) and `cluster_node`
 * (migration 0010, cluster-node-pg.ts).
 *
 * Read every `refreshEveryMs` (1 s by default, as the front reads
 * cluster_leader) and on demand (`refresh()`), never two reads at once: a
 * call during a read gets one more read after it. Only a lease that runs now
 * by the database's clock names an owner; one that ran out or was released
 * names nobody until a node takes it (the front then answers 503 "retry").
 * A hint, never a licence (the port's comment): the owner's journal fence
 * decides, so a read up to a second old can send a write to a node that has
 * just lost the partition, which refuses it.
 *
 * A read that fails keeps the last answers (a database blip must not make
 * every home ownerless on this node) and is reported to onError.
 */
import type { PartitionDirectory } from '../../core/partition-directory.js';
import { readNodeAddresses } from './cluster-node-pg.js';
import type { Queryable } from './journal-sql.js';
import { readHomePartitionLeases } from './partition-balance-sql.js';

const DEFAULT_REFRESH_EVERY_MS = 1_000;

export interface PgPartitionDirectoryOptions {
  db: Queryable;
  refreshEveryMs?: number;
  onError?: (err: Error) => void;
  /** Every owner holds an alive lock (node-alive-lock.ts): a partition whose owner's session is gone has no owner. */
  deadOwnersFree?: boolean;
}

export class PgPartitionDirectory implements PartitionDirectory {
  private owners: ReadonlyMap<number, string> = new Map();
  private urls: ReadonlyMap<string, string> = new Map();
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private again: Promise<void> | undefined;
  /** Reads completed (tests, /metrics). */
  reads = 0;

  constructor(private readonly options: PgPartitionDirectoryOptions) {}

  /** Reads once (that read must succeed: the database was just reached), then every refreshEveryMs. */
  async start(): Promise<void> {
    await this.refresh();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.refresh().catch((err: unknown) => this.options.onError?.(err as Error)), this.options.refreshEveryMs ?? DEFAULT_REFRESH_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  ownerOf(partition: number): string | undefined {
    return this.owners.get(partition);
  }

  /** The base URL a node last announced (cluster_node); undefined for a node never heard of. */
  urlOf(nodeId: string): string | undefined {
    return this.urls.get(nodeId);
  }

  /**
   * Reads the leases and addresses now. A call while a read runs waits for
   * one more read that starts after it (what it asked to see may have
   * committed after the running read's snapshot); calls meanwhile share it.
   */
  refresh(): Promise<void> {
    if (!this.reading) {
      this.reading = this.read().finally(() => (this.reading = undefined));
      return this.reading;
    }
    this.again ??= this.reading
      .catch(() => undefined)
      .then(() => {
        this.again = undefined;
        return this.refresh();
      });
    return this.again;
  }

  private async read(): Promise<void> {
    const [leases, nodes] = await Promise.all([readHomePartitionLeases(this.options.db, { deadOwnersFree: this.options.deadOwnersFree }), readNodeAddresses(this.options.db)]);
    this.owners = new Map(leases.filter((l) => l.running && l.owner !== null).map((l) => [l.partition, l.owner!]));
    this.urls = new Map(nodes.map((n) => [n.nodeId, n.httpUrl]));
    this.reads += 1;
  }
}
