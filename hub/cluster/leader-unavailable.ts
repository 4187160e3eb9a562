/**
 * The two answers of a follower that cannot pass a request on, in the API's
 * error shape `{error: {code, message}}` (DESIGN.md §5, hub/api/errors.ts;
 * written out here because hub/cluster sits below hub/api in the layers).
 * Both say "retry": the console and scripts treat 502/503 as temporary, and a
 * failover takes seconds (docs/CLUSTER.md).
 */
export interface ClusterRefusal {
  status: 502 | 503;
  /** Reason phrase for raw upgrade answers. */
  text: string;
  body: { error: { code: string; message: string } };
}

/** Seconds a client should wait before retrying (Retry-After): about one lease renewal. */
export const RETRY_AFTER_SECONDS = 2;

export const NO_LEADER: ClusterRefusal = {
  status: 503,
  text: 'Service Unavailable',
  body: { error: { code: 'no_leader', message: 'the cluster has no leader right now (a failover may be under way); retry in a few seconds' } },
};

export const LEADER_UNREACHABLE: ClusterRefusal = {
  status: 502,
  text: 'Bad Gateway',
  body: { error: { code: 'leader_unreachable', message: 'the cluster leader did not answer this node; retry in a few seconds' } },
};

/** A follower reached by a request another node already forwarded: cluster_leader names a node that is not the leader. */
export const FORWARDING_LOOP: ClusterRefusal = {
  status: 503,
  text: 'Service Unavailable',
  body: { error: { code: 'no_leader', message: 'the node named as cluster leader is not leading; retry in a few seconds' } },
};
