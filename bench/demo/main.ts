/**
 * `npm run demo`: a hub with a fresh temporary data dir on free ports, about
 * 20 live homes with four devices each, a demo operator, simulated residents
 * living their day, and an emergency in a random home every minute or so.
 * Everything is set up through the hub's public REST API, as a real
 * installation would be. Ctrl-C stops the residents and the hub and removes
 * the data dir.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnReady } from '../child.js';
import { HubApi, neighbourhood } from '../../simulators/hub-api.js';
import { localHour } from '../../simulators/kinds/behaviour.js';
import { EMERGENCIES, findScenario } from '../../simulators/scenarios/index.js';
import { followAlerts } from './alert-feed.js';
import { Neighbourhood } from './neighbourhood.js';

/** The hub's default HUB_TIMEZONE, Asia/Shanghai (UTC+8, no DST): the residents live there too. */
const UTC_OFFSET_MIN = 480;
const say = (line: string) => console.log(`[${new Date().toTimeString().slice(0, 8)}] ${line}`);

const { values } = parseArgs({
  options: {
    homes: { type: 'string', default: '20' },
    every: { type: 'string', default: '60' },
    first: { type: 'string', default: '15' },
    emergency: { type: 'string' },
    'http-port': { type: 'string', default: '0' },
    'mqtt-port': { type: 'string', default: '0' },
  },
});
const homeCount = Math.max(1, Math.min(200, Number(values.homes) || 20));
const everyMs = Math.max(10, Number(values.every) || 60) * 1000;
const firstMs = Math.max(0, Number(values.first ?? 15)) * 1000;
if (values.emergency !== undefined && !findScenario(values.emergency)) {
  console.error(`demo: unknown --emergency "${values.emergency}": one of ${EMERGENCIES.join(', ')}`);
  process.exit(2);
}

const dataDir = await mkdtemp(join(tmpdir(), 'hub-demo-'));
const adminPassword = `admin-${randomBytes(6).toString('hex')}`;
const operatorPassword = `operator-${randomBytes(4).toString('hex')}`;
const hub = await spawnReady({
  script: 'hub/main.ts',
  env: { HUB_MQTT_PORT: values['mqtt-port'], HUB_HTTP_PORT: values['http-port'], HUB_DATA_DIR: dataDir, HUB_ADMIN_PASSWORD: adminPassword, HUB_LOG_LEVEL: 'warn' },
  ready: [/MQTT broker listening on mqtt:\/\/([^:\s]+):(\d+)/, /listening on (http:\/\/[^\s]+)/],
});
const mqttUrl = `mqtt://${hub.matches[0]![1]}:${hub.matches[0]![2]}`;
const httpUrl = hub.matches[1]![1]!;
let neighbours: Neighbourhood | undefined;
let stopFeed = () => undefined as void;
let timer: NodeJS.Timeout | undefined;

let stopping = false;
async function shutdown(code: number): Promise<void> {
  // Ctrl-C reaches this process twice (from the terminal and relayed by npm/tsx): stop once.
  if (stopping) return;
  stopping = true;
  clearTimeout(timer);
  stopFeed();
  await neighbours?.stop().catch(() => undefined);
  await hub.stop();
  await rm(dataDir, { recursive: true, force: true });
  say('stopped: hub and residents stopped, temporary data removed');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const api = new HubApi(httpUrl);
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
  const credentialsFile = join(dataDir, 'demo-devices.json');
  await writeFile(credentialsFile, JSON.stringify({ mqtt: { host: hub.matches[0]![1], port: Number(hub.matches[0]![2]) }, homes: all }, null, 2));

  neighbours = new Neighbourhood(homes, mqttUrl, UTC_OFFSET_MIN, (homeId, err) => say(`${names.get(homeId)}: ${err.message}`));
  await neighbours.start();
  stopFeed = followAlerts(`${httpUrl.replace('http', 'ws')}/api/v1/stream?token=${encodeURIComponent(api.token!)}`, (id) => names.get(id) ?? id, say);

  console.log(`
Home-care hub demo — ${homeCount} homes, their residents simulated live.

  Console:      ${httpUrl}/   (operator / ${operatorPassword}; admin / ${adminPassword})
  REST API:     ${httpUrl}/api/v1
  Live stream:  ${httpUrl.replace('http', 'ws')}/api/v1/stream?token=<token from login>
  MQTT broker:  ${mqttUrl}

Watch the open alerts:
  TOKEN=$(curl -s ${httpUrl}/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"operator","password":"${operatorPassword}"}' | node -pe 'JSON.parse(fs.readFileSync(0)).token')
  curl -s "${httpUrl}/api/v1/alerts?status=open" -H "authorization: Bearer $TOKEN"

Play a scenario yourself in ${names.get(spare.homeId)}, which no simulated resident lives in (npm run sim -- --list shows them all):
  npm run sim -- --scenario fall-at-night --home ${spare.homeId} --credentials ${credentialsFile} --speed 60

An emergency happens in a random home about every ${everyMs / 1000} s; the first one in ${firstMs / 1000} s. Ctrl-C stops everything.
`);

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
  console.error(`demo: ${(err as Error).message}\n${hub.stderrTail()}`);
  await shutdown(1);
}
