/**
 * What a standby node's HTTP listener serves until it leads (issue 12,
 * docs/CLUSTER.md "Consoles on any node", "Reads on any node"): its own
 * /api/v1/health and /metrics — a load balancer and Prometheus see this node
 * as it is —, the reads its copy of the journal can answer (the routes
 * declared `replica: true`, and the console's files), and every other
 * request, WebSocket stream included, passed to the leader
 * (hub/cluster/leader-proxy.ts).
 */
import type { Context } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { clientAddress } from '../api/app.js';
import { replicaRoutes } from '../api/replica-routes.js';
import { healthStatus, metricsHandler } from '../api/routes/health.js';
import type { SessionStore } from '../auth/sessions.js';
import { LeaderProxy, type OwnerRouting } from '../cluster/leader-proxy.js';
import { ReplicaReads, type ReplicaReadsDeps } from '../cluster/replica-reads.js';
import type { Logger } from '../core/logger.js';
import type { HubOps } from '../ops/hub-ops.js';
import type { HubApp } from './http-listener.js';

export interface StandbyFrontDeps {
  nodeId: string;
  ops: Pick<HubOps, 'health' | 'metricsRoute'>;
  leaderUrl(): string | undefined;
  /** What this node's own answers are made from: its copy of the journal, the sessions, and the API app over them. */
  replica: {
    journal: ReplicaReadsDeps['journal'];
    sessions: Pick<SessionStore, 'refresh' | 'holds'>;
    buildApp(): HubApp;
  };
  /** HUB_PARTITIONS=spread: homes' writes to their owners, this node's own among them (hub/compose/spread-wiring.ts). */
  owners?: OwnerRouting | undefined;
  log: Logger;
}

export function standbyFront({ nodeId, ops, leaderUrl, replica, owners, log }: StandbyFrontDeps): LeaderProxy {
  const { endpoint, token } = ops.metricsRoute;
  return new LeaderProxy({
    nodeId,
    leaderUrl,
    health: (c: Context) => {
      const report = ops.health();
      return c.json(report, healthStatus(report));
    },
    metrics: metricsHandler(endpoint, token, clientAddress),
    replica: new ReplicaReads({
      nodeId,
      journal: replica.journal,
      sessions: replica.sessions,
      prepare: async () => {
        const app = replica.buildApp();
        return { listener: getRequestListener(app.fetch), answers: await replicaRoutes(app) };
      },
      log,
    }),
    owners,
    log,
  });
}
