/**
 * A follower node's HTTP front on 127.0.0.1 port 0, built the way the hub's
 * listener builds its server (hub/compose/http-listener.ts): a Node HTTP
 * server with the listener guard, the LeaderProxy's request listener and its
 * upgrade pipe in place of the API app and the stream server. The leader is
 * whatever `leaderUrl()` answers at each request, so a test can take it away
 * or point it elsewhere.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'hono';
import { guardHttpServer } from '../../hub/api/http-server-guard.js';
import { LeaderProxy, type LeaderProxyDeps } from '../../hub/cluster/leader-proxy.js';
import { silentLogger } from '../../hub/core/logger.js';

export const FOLLOWER_ID = 'follower-1';

export interface FollowerFront {
  url: string;
  port: number;
  proxy: LeaderProxy;
  close(): Promise<void>;
}

export async function startFollowerFront(leaderUrl: () => string | undefined, options: Pick<LeaderProxyDeps, 'responseTimeoutMs' | 'leaderTls'> = {}): Promise<FollowerFront> {
  const log = silentLogger();
  const proxy = new LeaderProxy({
    nodeId: FOLLOWER_ID,
    leaderUrl,
    // This node's own view, distinguishable from the leader's answers.
    health: (c: Context) => c.json({ ok: true, node: { id: FOLLOWER_ID, role: 'follower' } }),
    metrics: (c: Context) => c.text(`hub_follower_up{node="${FOLLOWER_ID}"} 1\n`),
    log,
    connectTimeoutMs: 2_000,
    ...options,
  });
  const server = createServer(proxy.requestListener);
  guardHttpServer(server, log);
  proxy.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    proxy,
    async close() {
      proxy.stop();
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}
