/**
 * Where a node's front sends a request once homes have owners (issue 12 step
 * 3, docs/CLUSTER.md "Step 3, the wiring still to do" item 4): a write for a
 * home goes to the owner of the home's partition — this node's own API when
 * that is this node, else the owner's URL —, everything else where it went
 * before owners (the leader: this node's own API when it leads, else the
 * leader's URL). Pure: the home (home-of-request.ts), the owner
 * (PartitionDirectory, read from `partition_lease`) and the owner's URL
 * (`cluster_node`) are looked up in what it is given.
 */
import type { PartitionDirectory } from '../core/partition-directory.js';
import type { PartitionOwnership } from '../core/partition-ownership.js';
import { partitionOfHome } from '../core/partitions.js';
import type { ClusterRefusal } from './leader-unavailable.js';

/**
 * - 'local': this node's own API answers;
 * - 'leader': passed to the leader (cluster_leader), as before owners;
 * - { owner, url }: passed to the owner of the request's home; `url`
 *   undefined when the owner never announced one (answered 503);
 * - { owner: undefined }: nobody holds the partition's lease now (a failover
 *   under way): 503, retry.
 */
export type OwnerRoute = 'local' | 'leader' | { owner: string; url: string | undefined } | { owner: undefined };

export interface OwnerRouterDeps {
  nodeId: string;
  /** The home a request concerns (homeOfRequest over this node's stores); undefined: none. */
  homeOf(method: string, path: string): string | undefined;
  directory: PartitionDirectory;
  /**
   * This node's own leases, current (the balancer's `held`), where the
   * directory's read may be a second old: a partition just taken runs here at
   * once, one just lost never does. Absent: the directory alone decides.
   */
  ownership?: Pick<PartitionOwnership, 'owns'> | undefined;
  /** A node's base URL (cluster_node). */
  urlOf(nodeId: string): string | undefined;
  /** Whether this node leads now (holds the journal's lock): then the home-less requests are its own. */
  leading(): boolean;
}

export function ownerRouter(deps: OwnerRouterDeps): (method: string, path: string) => OwnerRoute {
  return (method, path) => {
    const home = deps.homeOf(method, path);
    if (home === undefined) return deps.leading() ? 'local' : 'leader';
    if (deps.ownership?.owns(home)) return 'local';
    const owner = deps.directory.ownerOf(partitionOfHome(home));
    // Nobody, or this node by a read older than its own leases (it has just lost the partition): retry shortly.
    if (owner === undefined || (owner === deps.nodeId && deps.ownership)) return { owner: undefined };
    if (owner === deps.nodeId) return 'local';
    return { owner, url: deps.urlOf(owner) };
  };
}

/** Nobody holds the home's partition now (its owner died and no node took it yet), or its owner has no URL. */
export const NO_OWNER: ClusterRefusal = {
  status: 503,
  text: 'Service Unavailable',
  body: { error: { code: 'no_owner', message: "nobody serves this home's partition right now (a failover may be under way); retry in a few seconds" } },
};

export const OWNER_UNREACHABLE: ClusterRefusal = {
  status: 502,
  text: 'Bad Gateway',
  body: { error: { code: 'owner_unreachable', message: "the node serving this home's partition did not answer this node; retry in a few seconds" } },
};

/**
 * A request another node already passed here, for a home this node does not
 * own (the partition moved meanwhile): never passed on again (two fronts with
 * different views of the leases must not bounce it); the client retries.
 */
export const OWNER_MOVED: ClusterRefusal = {
  status: 503,
  text: 'Service Unavailable',
  body: { error: { code: 'no_owner', message: "this home's partition is changing hands; retry in a few seconds" } },
};
