/**
 * What a standby node's HTTP listener serves until it leads (issue 12): its
 * own /api/v1/health, so a load balancer and an operator see this node as it
 * is, and for everything else an answer in the API's error shape saying who
 * leads. Consoles are expected at the leader.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LeaderSeen } from '../cluster/leader-watch.js';
import type { Logger } from '../core/logger.js';
import type { HealthReport } from '../ops/health-report.js';
import type { FollowerFront } from './http-listener.js';

export interface StandbyFrontDeps {
  health(): HealthReport;
  leader(): LeaderSeen | undefined;
  log: Logger;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export function standbyFront(deps: StandbyFrontDeps): FollowerFront {
  return {
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method === 'GET' && path === '/api/v1/health') {
        const report = deps.health();
        return json(report.ok ? 200 : 503, report);
      }
      const leader = deps.leader();
      return json(503, {
        error: {
          code: 'not_leader',
          message: leader ? `this node stands by; node ${leader.nodeId} leads${leader.httpUrl ? ` at ${leader.httpUrl}` : ''}: retry there` : 'no node leads the cluster right now: retry in a few seconds',
        },
      });
    },
    upgrade(_req: IncomingMessage, socket: Duplex) {
      socket.on('error', () => socket.destroy());
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    },
  };
}
