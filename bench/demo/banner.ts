/** What the demo prints once everything runs: where to look, how to log in, what to try. */
import type { DemoNodes } from './demo-nodes.js';
import type { ScratchStores } from './scratch-stores.js';
import { serverOf } from './scratch-stores.js';

export interface BannerFacts {
  homeCount: number;
  nodes: DemoNodes;
  stores: ScratchStores | undefined;
  operatorPassword: string;
  adminPassword: string;
  spareHome: { id: string; name: string };
  credentialsFile: string;
  everySec: number;
  firstSec: number;
}

export function banner(f: BannerFacts): string {
  const leader = f.nodes.leader ?? f.nodes.nodes[0]!;
  const httpUrl = leader.httpUrl;
  const brokers = f.nodes.nodes.map((n) => `mqtt://${n.broker.host}:${n.broker.port}`);
  const where = f.nodes.clustered ? ` on a cluster of ${f.nodes.nodes.length} nodes` : '';
  return `
Home-care hub demo — ${f.homeCount} homes${where}, their residents simulated live.

  Console:      ${httpUrl}/   (operator / ${f.operatorPassword}; admin / ${f.adminPassword})${f.nodes.clustered ? `   ← ${leader.id}, the leader` : ''}
  REST API:     ${httpUrl}/api/v1
  Live stream:  ${httpUrl.replace('http', 'ws')}/api/v1/stream?token=<token from login>
  MQTT broker${brokers.length > 1 ? 's' : ''}:  ${brokers.join(', ')}
${f.nodes.clustered ? clusterPart(f.nodes, f.stores!) : ''}
Watch the open alerts:
  TOKEN=$(curl -s ${httpUrl}/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"operator","password":"${f.operatorPassword}"}' | node -pe 'JSON.parse(fs.readFileSync(0)).token')
  curl -s "${httpUrl}/api/v1/alerts?status=open" -H "authorization: Bearer $TOKEN"

Play a scenario yourself in ${f.spareHome.name}, which no simulated resident lives in (npm run sim -- --list shows them all):
  npm run sim -- --scenario fall-at-night --home ${f.spareHome.id} --credentials ${f.credentialsFile} --speed 60

An emergency happens in a random home about every ${f.everySec} s; the first one in ${f.firstSec} s. Ctrl-C stops everything.
`;
}

/** Each node, the shared stores, and the failover to try. */
function clusterPart(nodes: DemoNodes, stores: ScratchStores): string {
  const leader = nodes.leader ?? nodes.nodes[0]!;
  const rows = nodes.nodes.map(
    (n) => `    ${n.id}  pid ${String(n.child.pid).padEnd(7)} mqtt://${n.broker.host}:${n.broker.port}  ${n.httpUrl}  ${n === leader ? 'leads' : 'standby'}`,
  );
  return `
  Nodes (home i's devices connect to node i mod ${nodes.nodes.length}, and to the next node when theirs goes):
${rows.join('\n')}
  Shared:       PostgreSQL database ${stores.databaseName} on ${serverOf(stores.databaseUrl)}, Redis keys ${stores.redisPrefix}* on ${serverOf(stores.redisUrl)}

Kill the leader and watch another node take over:
  kill -9 ${leader.child.pid}
  The demo prints the node that died, then the node that leads next and its console URL, and moves
  its alert feed there. Any node's console URL works: a standby answers the alert list, an alert's
  history and the audit view from its own copy of the journal, and passes the rest to the leader.
  Freeze the leader instead (kill -STOP ${leader.child.pid}): a standby's console still loads and lists
  the alerts until another node takes over (kill -CONT it then: it finds it has lost the lead and exits).
`;
}
