/**
 * The name of this hub node in a cluster (issue 12): HUB_NODE_ID when set,
 * otherwise the host name and MQTT port, so two nodes on one machine differ.
 * With port 0 (a free port, chosen only when listening) a random suffix
 * stands in: two nodes with one name would ignore each other's takeovers.
 * It names the node in Redis (Aedes' broker id, the command relay) and in
 * /health.
 */
import { randomBytes } from 'node:crypto';

export function nodeIdFrom(env: { nodeId?: string | undefined }, hostname: string, port: number): string {
  if (env.nodeId) return env.nodeId;
  const host = hostname.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 48) || 'hub';
  return `${host}-${port > 0 ? port : randomBytes(3).toString('hex')}`;
}
