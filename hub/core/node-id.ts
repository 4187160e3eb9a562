/**
 * The name of this hub process among its peers (issue 12): shown by /health
 * and /metrics, carried by the ops webhooks, and the identity a cluster node
 * will hold partition leases under. HUB_NODE_ID when set; otherwise derived
 * from the host name and the MQTT port, so a node keeps its name across
 * restarts (a restarted node is the same node to whoever graphs it) and two
 * nodes on one machine still differ. The one place the derivation lives.
 */
import { hostname } from 'node:os';

/** Safe in a Prometheus label, an MQTT topic level, a log line and a URL path. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * `<host>-<mqttPort>`, reduced to NODE_ID_PATTERN. Port 0 (any free port)
 * says nothing about the node, so the process id stands in for it.
 */
export function deriveNodeId(host: string, mqttPort: number, pid: number): string {
  const cleanHost = host.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 48) || 'hub';
  return `${cleanHost}-${mqttPort === 0 ? `pid${pid}` : mqttPort}`;
}

export function resolveNodeId(configured: string | undefined, mqttPort: number, host: string = hostname(), pid: number = process.pid): string {
  return configured ?? deriveNodeId(host, mqttPort, pid);
}
