/**
 * Chooses the storage adapters, once, for the composition root (DESIGN.md §8
 * "stores behind ports"): HUB_DATABASE_URL set → PostgreSQL for every store,
 * sharing one pool; unset → the files under HUB_DATA_DIR (sessions in
 * memory), so `npm start` needs no set-up. Nothing else in the hub knows
 * which it got.
 */
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import { DeliveryFiles } from './files/delivery-files.js';
import { RegistryFiles } from './files/registry-files.js';
import { RulesSnapshotFile } from './files/rules-snapshot-file.js';
import { MemorySessions } from './files/sessions-memory.js';
import { VisitsFile } from './files/visits-file.js';
import { WebhooksFile } from './files/webhooks-file.js';
import { Journal, type OpenJournalFile } from './journal.js';
import type { DeliveryLogStore, DeviceMessageKey, InboundAlarmStore, JournalStore, RegistryStore, RulesSnapshotStore, SessionsStore, VisitsStore, WebhooksStore } from './ports.js';
import type { LeaderIdentity } from './postgres/cluster-leader.js';
import { PgDatabase } from './postgres/database.js';
import { PgDeliveryLog } from './postgres/delivery-log-pg.js';
import { PgInboundAlarms } from './postgres/inbound-alarms-pg.js';
import { PgJournal } from './postgres/journal-pg.js';
import { OwnerLeases, type OwnerLeasesOptions } from './postgres/owner-leases.js';
import { PgPartitionDirectory } from './postgres/partition-directory-pg.js';
import { NodeAnnouncer, readLiveNodeIds } from './postgres/cluster-node-pg.js';
import { DEFAULT_LEASE_MS } from './postgres/writer-lease.js';
import { PgRegistryStore } from './postgres/registry-pg.js';
import { PgRulesSnapshot } from './postgres/rules-snapshot-pg.js';
import { PgSessions } from './postgres/sessions-pg.js';
import { PgVisits } from './postgres/visits-pg.js';
import { PgWebhooks } from './postgres/webhooks-pg.js';

export interface StoreSettings {
  dataDir: string;
  databaseUrl?: string | undefined;
  now: () => number;
  log: Logger;
  /** The device message a journal line records (for the database's unique message key). */
  messageKeyOf: (type: string, data: unknown) => DeviceMessageKey | undefined;
  /** Tests only: wrap the journal's files. */
  journalFileOpener?: OpenJournalFile | undefined;
  /** PostgreSQL only: the journal writer's lease and, for a cluster node, waiting for leadership (docs/CLUSTER.md). */
  leadership?: LeadershipSettings | undefined;
}

export interface LeadershipSettings {
  /** HUB_LEADER_LEASE_MS: the server ends a frozen leader's session after this long. */
  leaseMs?: number | undefined;
  /** A cluster node: the journal's open() waits for leadership without limit (a standby). */
  waitForLeadership?: boolean | undefined;
  /** Written into cluster_leader when this node becomes leader. */
  identity?: (() => LeaderIdentity) | undefined;
  /** HUB_PARTITIONS=spread: this node owns a share of the home partitions (owner-leases.ts); the journal is fenced by them. */
  spread?: SpreadLeaseSettings | undefined;
}

/** What a node owning a share of the partitions is told and asked (hub/storage/postgres/owner-leases.ts). */
export type SpreadLeaseSettings = Omit<OwnerLeasesOptions, 'db' | 'journal' | 'leaseMs' | 'identity' | 'liveNodes'>;

export interface Stores {
  kind: 'files' | 'postgres';
  registry: RegistryStore;
  journal: JournalStore;
  sessions: SessionsStore;
  visits: VisitsStore;
  webhooks: WebhooksStore;
  deliveries: DeliveryLogStore;
  rulesSnapshot: RulesSnapshotStore;
  /** PostgreSQL only: alarms a cluster node took for the leader (docs/CLUSTER.md "Forwarding to the leader"). */
  inboundAlarms?: InboundAlarmStore | undefined;
  /** HUB_PARTITIONS=spread: this node's leases (its share of the home partitions, and -1 while it leads). */
  ownerLeases?: OwnerLeases | undefined;
  /** HUB_PARTITIONS=spread: who owns each partition and where each node is (partition_lease, cluster_node). */
  partitionDirectory?: PgPartitionDirectory | undefined;
  /** HUB_PARTITIONS=spread: this node's address in cluster_node, for the others' fronts. */
  nodeAnnouncer?: NodeAnnouncer | undefined;
}

export function selectStores(settings: StoreSettings): Stores {
  const { log, now } = settings;
  const onWarning = (msg: string) => log.warn({ module: 'journal' }, msg);
  const notifyLog = log.child({ module: 'notify' });
  if (settings.databaseUrl) {
    const db = new PgDatabase({ url: settings.databaseUrl, log: log.child({ module: 'database' }) });
    const spread = settings.leadership?.spread;
    const identity: () => LeaderIdentity = settings.leadership?.identity ?? (() => ({ nodeId: spread?.nodeId ?? 'unknown' }));
    // Built before the journal it fences, told of it once built.
    const leaseMs = settings.leadership?.leaseMs ?? DEFAULT_LEASE_MS;
    // The live nodes: announced within a lease (cluster_node) and holding their alive lock: the database's view, as the fence's.
    const liveNodes = () => readLiveNodeIds(db, leaseMs, true);
    const ownerLeases: OwnerLeases | undefined = spread && new OwnerLeases({ ...spread, liveNodes, db, identity, leaseMs, journal: (): PgJournal => journal });
    const journal: PgJournal = new PgJournal({
      db,
      now,
      onError: (err) => log.fatal({ err }, 'JOURNAL WRITE FAILED: alarms are refused (no PUBACK) until the hub is restarted; see the error for the rows concerned'),
      onWarning,
      onWaitingForLock: (holder, leader) =>
        settings.leadership?.waitForLeadership
          ? log.info({ module: 'journal', epoch: leader.epoch }, `standby: leader is ${leader.nodeId ?? 'unknown'}${leader.httpUrl ? ` at ${leader.httpUrl}` : ''} (${holder}); waiting for its lock`)
          : log.warn({ module: 'journal' }, `waiting for the journal's writer lock, held by ${holder} (a hub that just stopped finishes its last commit first)`),
      messageKeyOf: settings.messageKeyOf,
      leaseMs: settings.leadership?.leaseMs,
      waitForLeadership: spread ? undefined : settings.leadership?.waitForLeadership,
      identity: settings.leadership?.identity,
      homeLeases: ownerLeases && (() => ownerLeases.held()),
      homeLeaseLeftMs: ownerLeases && (() => ownerLeases.balancer.leaseLeftMs),
    });
    // Lost leadership is reported once, by the hub that exits on it (hub/hub.ts), not here too.
    return {
      kind: 'postgres',
      registry: new PgRegistryStore(db, { log: log.child({ module: 'registry' }) }),
      journal,
      sessions: new PgSessions(db),
      visits: new PgVisits(db),
      webhooks: new PgWebhooks(db),
      deliveries: new PgDeliveryLog(db, now, notifyLog),
      rulesSnapshot: new PgRulesSnapshot(db, () => journal.leaderEpoch),
      inboundAlarms: new PgInboundAlarms(db),
      ownerLeases,
      ...(spread ? spreadDirectory(db, spread.nodeId, () => identity().httpUrl ?? undefined, leaseMs, log) : {}),
    };
  }
  const { dataDir } = settings;
  const journal = new Journal({
    dir: join(dataDir, 'journal'),
    now,
    onError: (err) => log.fatal({ err }, 'JOURNAL WRITE FAILED: alarms are refused (no PUBACK) until the hub is restarted with a writable data dir'),
    onWarning,
    ...(settings.journalFileOpener ? { openFile: settings.journalFileOpener } : {}),
  });
  return {
    kind: 'files',
    registry: new RegistryFiles(join(dataDir, 'registry')),
    journal,
    sessions: new MemorySessions(),
    visits: new VisitsFile(join(dataDir, 'registry', 'visits.json')),
    webhooks: new WebhooksFile(join(dataDir, 'notifications', 'webhooks.json')),
    deliveries: new DeliveryFiles(join(dataDir, 'notifications'), now, notifyLog),
    rulesSnapshot: new RulesSnapshotFile(join(dataDir, 'rules-state.json')),
  };
}

/** HUB_PARTITIONS=spread: the directory the fronts and forwarders read, and this node's announced address. */
function spreadDirectory(db: PgDatabase, nodeId: string, httpUrl: () => string | undefined, leaseMs: number, log: Logger): Pick<Stores, 'partitionDirectory' | 'nodeAnnouncer'> {
  const clusterLog = log.child({ module: 'cluster' });
  return {
    partitionDirectory: new PgPartitionDirectory({ db, deadOwnersFree: true, onError: (err) => clusterLog.warn({ err }, 'partition directory not read; the last one is used') }),
    // Every fifth of the lease, as the leases are renewed: a node that stops announcing is dead to the balancers after a lease.
    nodeAnnouncer: new NodeAnnouncer({ db, nodeId, httpUrl, announceEveryMs: leaseMs / 5, onError: (err) => clusterLog.warn({ err }, 'node address not refreshed in cluster_node') }),
  };
}
