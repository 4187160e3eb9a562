/**
 * `npm run demo`: a hub with a fresh temporary data dir on free ports, about
 * 20 live homes with four devices each, a demo operator, simulated residents
 * living their day, and an emergency in a random home every minute or so.
 * Everything is set up through the hub's public REST API, as a real
 * installation would be. Ctrl-C stops the residents and the hub and removes
 * the data dir.
 *
 * `--nodes N` (2–5): the same neighbourhood on a cluster of N hub processes
 * (docs/CLUSTER.md) sharing a fresh PostgreSQL database and Redis prefix,
 * the homes spread over the nodes. It prints how to kill the leader, says
 * which node leads next and moves its alert feed there; Ctrl-C also drops
 * the database and the Redis keys. With --http-port / --mqtt-port P, node i
 * (from 1) listens on P + i - 1.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HubApi, neighbourhood } from '../../simulators/hub-api.js';
import { localHour } from '../../simulators/kinds/behaviour.js';
import { EMERGENCIES, findScenario } from '../../simulators/scenarios/index.js';
import { followAlerts } from './alert-feed.js';
import { banner } from './banner.js';
import { DemoNodes, type DemoNode } from './demo-nodes.js';
import { Neighbourhood } from './neighbourhood.js';
import { createScratchStores, type ScratchStores } from './scratch-stores.js';

/** The hub's default HUB_TIMEZONE, Asia/Shanghai (UTC+8, no DST): the residents live there too. */
const UTC_OFFSET_MIN = 480;
const MAX_NODES = 5;
const say = (line: string) => console.log(`[${new Date().toTimeString().slice(0, 8)}] ${line}`);

const { values } = parseArgs({
  options: {
    homes: { type: 'string', default: '20' },
    nodes: { type: 'string', default: '1' },
    every: { type: 'string', default: '60' },
    first: { type: 'string', default: '15' },
    emergency: { type: 'string' },
    'http-port': { type: 'string', default: '0' },
    'mqtt-port': { type: 'string', default: '0' },
  },
});
const homeCount = Math.max(1, Math.min(200, Number(values.homes) || 20));
const nodeCount = Number(values.nodes);
const everyMs = Math.max(10, Number(values.every) || 60) * 1000;
const firstMs = Math.max(0, Number(values.first ?? 15)) * 1000;
if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > MAX_NODES) {
  console.error(`demo: --nodes must be a whole number from 1 to ${MAX_NODES} (got "${values.nodes}")`);
  process.exit(2);
}
if (values.emergency !== undefined && !findScenario(values.emergency)) {
  console.error(`demo: unknown --emergency "${values.emergency}": one of ${EMERGENCIES.join(', ')}`);
  process.exit(2);
}

const adminPassword = `admin-${randomBytes(6).toString('hex')}`;
const operatorPassword = `operator-${randomBytes(4).toString('hex')}`;
let stores: ScratchStores | undefined;
let hubs: DemoNodes | undefined;
let neighbours: Neighbourhood | undefined;
let stopFeed = () => undefined as void;
let timer: NodeJS.Timeout | undefined;

let stopping = false;
async function shutdown(code: number): Promise<void> {
  // Ctrl-C reaches this process twice (from the terminal and relayed by npm/tsx): stop once.
  if (stopping) return;
  stopping = true;
  hubs?.expectExits();
  clearTimeout(timer);
  stopFeed();
  await neighbours?.stop().catch(() => undefined);
  await hubs?.stop();
  const storesGone = stores?.remove().then(
    () => `, database ${stores!.databaseName} dropped, Redis keys ${stores!.redisPrefix}* deleted`,
    (err: Error) => `; could not remove the shared stores: ${err.message}`,
  );
  const what = hubs?.clustered ? `${hubs.nodes.length} nodes` : 'hub';
  say(`stopped: ${what} and residents stopped, temporary data removed${(await storesGone) ?? ''}`);
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

/** Starts the hub (or the cluster's nodes, on fresh shared stores); on failure one line and exit. */
async function startHubs(): Promise<DemoNodes> {
  try {
    if (nodeCount > 1) stores = await createScratchStores();
    return await DemoNodes.start({
      count: nodeCount,
      adminPassword,
      httpPort: Number(values['http-port']) || 0,
      mqttPort: Number(values['mqtt-port']) || 0,
      ...(stores ? { cluster: stores } : {}),
    });
  } catch (err) {
    // Nothing runs yet (DemoNodes.start stopped what it started): one line, and the fresh stores go again.
    console.error(`demo: ${(err as Error).message}`);
    await stores?.remove().catch(() => undefined);
    process.exit(1);
  }
}

/** Points the terminal's alert feed at `node` (the leader), logging in there; gives up if it no longer leads. */
async function feedFrom(node: DemoNode, names: Map<string, string>): Promise<void> {
  const api = new HubApi(node.httpUrl);
  for (let attempt = 1; !stopping && hubs?.leader === node; attempt++) {
    try {
      await api.login('admin', adminPassword);
      stopFeed();
      stopFeed = followAlerts(`${node.httpUrl.replace('http', 'ws')}/api/v1/stream?token=${encodeURIComponent(api.token!)}`, (id) => names.get(id) ?? id, say);
      return;
    } catch (err) {
      // A node that has just taken the lead may still be opening its API.
      if (attempt === 10) return say(`alert feed: cannot log in on ${node.id}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/** Says when a node dies and which one leads next, and moves the alert feed to it. */
function watchCluster(nodes: DemoNodes, names: Map<string, string>): void {
  nodes.on('exit', (node, how, wasLeader) => {
    const left = nodes.nodes.filter((n) => n.alive).length;
    const next = wasLeader ? (left > 0 ? ' It led: waiting for another node to take over…' : ' No node is left: Ctrl-C cleans up.') : '';
    say(`${node.id} (pid ${node.child.pid}) ${how}; the devices connected to it reconnect to the other nodes.${next}`);
  });
  nodes.on('leader', (node) => {
    say(`${node.id} (pid ${node.child.pid}) leads the cluster now: console ${node.httpUrl}/ — the alert feed follows it; kill -9 ${node.child.pid} to try again`);
    stopFeed();
    void feedFrom(node, names);
  });
}

hubs = await startHubs();
try {
  const api = new HubApi(hubs.leader!.httpUrl); // provisioning through the leader (a standby would pass it on)
  await api.login('admin', adminPassword);
  await api.request('POST', '/users', { username: 'operator', password: operatorPassword, role: 'operator', displayName: 'Demo operator' });
  say(`provisioning ${homeCount} homes with 4 devices each over the REST API…`);
  // One more home than simulated: "your" home for `npm run sim -- --scenario`, whose devices nobody
  // else connects (two simulators with one device's credentials would keep kicking each other off).
  const specs = neighbourhood(homeCount + 1);
  const all = await api.provisionHomes(specs, { concurrency: 4, serialPrefix: `DEMO-${Date.now()}` });
  const names = new Map(all.map((h, i) => [h.homeId, specs[i]!.name]));
  const spare = all[homeCount]!;
  const homes = all.slice(0, homeCount);
  const first = hubs.nodes[0]!;
  const credentialsFile = join(first.dataDir, 'demo-devices.json');
  await writeFile(credentialsFile, JSON.stringify({ mqtt: first.broker, homes: all }, null, 2));

  neighbours = new Neighbourhood(homes, hubs.nodes.map((n) => n.broker), UTC_OFFSET_MIN, (homeId, err) => say(`${names.get(homeId)}: ${err.message}`));
  await neighbours.start();
  await feedFrom(hubs.leader!, names);
  if (hubs.clustered) watchCluster(hubs, names);
  console.log(banner({ homeCount, nodes: hubs, stores, operatorPassword, adminPassword, spareHome: { id: spare.homeId, name: names.get(spare.homeId)! }, credentialsFile, everySec: everyMs / 1000, firstSec: firstMs / 1000 }));

  const emergency = () => {
    // Wandering is an alert only at night by the hub's clock: play it only then.
    const night = localHour(Date.now(), UTC_OFFSET_MIN) >= 22 || localHour(Date.now(), UTC_OFFSET_MIN) < 6;
    const choices = EMERGENCIES.filter((n) => night || n !== 'night-wandering');
    const scenario = findScenario(values.emergency ?? choices[Math.floor(Math.random() * choices.length)]!)!;
    const index = Math.floor(Math.random() * homes.length);
    say(`emergency: ${scenario.title} in ${names.get(homes[index]!.homeId)} (${homes[index]!.homeId})`);
    void neighbours!.emergency(index, scenario).catch((err: Error) => say(`emergency failed: ${err.message}`));
    timer = setTimeout(emergency, everyMs * (0.75 + Math.random() * 0.5));
  };
  timer = setTimeout(emergency, firstMs);
} catch (err) {
  console.error(`demo: ${(err as Error).message}\n${hubs.nodes.map((n) => n.child.stderrTail()).join('\n')}`);
  await shutdown(1);
}
