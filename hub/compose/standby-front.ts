/**
 * What a standby node's HTTP listener serves until it leads (issue 12,
 * docs/CLUSTER.md "Consoles on any node"): its own /api/v1/health and
 * /metrics — a load balancer and Prometheus see this node as it is — and
 * every other request, WebSocket stream included, passed to the leader
 * (hub/cluster/leader-proxy.ts).
 */
import type { Context } from 'hono';
import { clientAddress } from '../api/app.js';
import { healthStatus, metricsHandler } from '../api/routes/health.js';
import { LeaderProxy } from '../cluster/leader-proxy.js';
import type { Logger } from '../core/logger.js';
import type { HubOps } from '../ops/hub-ops.js';

export interface StandbyFrontDeps {
  nodeId: string;
  ops: Pick<HubOps, 'health' | 'metricsRoute'>;
  leaderUrl(): string | undefined;
  log: Logger;
}

export function standbyFront({ nodeId, ops, leaderUrl, log }: StandbyFrontDeps): LeaderProxy {
  const { endpoint, token } = ops.metricsRoute;
  return new LeaderProxy({
    nodeId,
    leaderUrl,
    health: (c: Context) => {
      const report = ops.health();
      return c.json(report, healthStatus(report));
    },
    metrics: metricsHandler(endpoint, token, clientAddress),
    log,
  });
}
