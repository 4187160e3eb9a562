/**
 * A load generator in its own process (so its event loop does not distort
 * what the parent measures): `devices` bracelets from a JSON file each
 * publishing telemetry at QoS 1 so that the total is `rate` msg/s, for
 * `seconds`. Prints one JSON line of figures at the end.
 *
 *   node --import tsx tests/long/lib/telemetry-load.ts <port> <devices.json> <rate> <seconds>
 */
import { readFileSync } from 'node:fs';
import { RawClient, sleep } from '../../conformance/raw-client.js';
import type { Device } from './provision.js';

const [portArg, file, rateArg, secondsArg] = process.argv.slice(2);
const port = Number(portArg);
const devices = JSON.parse(readFileSync(file!, 'utf8')) as Device[];
const rate = Number(rateArg);
const seconds = Number(secondsArg);

const clients: { device: Device; client: RawClient; unacked: number }[] = [];
let acked = 0;
let sent = 0;
let skipped = 0;
for (const device of devices) {
  const client = await RawClient.open({ port, record: false });
  const connack = await client.connect({ clientId: device.id, username: device.id, password: Buffer.from(device.secret), keepalive: 60 });
  if (connack.returnCode !== 0) throw new Error(`CONNACK ${connack.returnCode}`);
  const entry = { device, client, unacked: 0 };
  client.onPacket = (p) => {
    if (p.cmd === 'puback') {
      acked++;
      entry.unacked--;
    }
  };
  clients.push(entry);
}
process.stdout.write(`ready\n`);
const start = Date.now();
let cursor = 0;
let credit = 0;
let seq = 0;
let last = Date.now();
while (Date.now() - start < seconds * 1000) {
  await sleep(5);
  const now = Date.now();
  credit += ((now - last) / 1000) * rate;
  last = now;
  for (; credit >= 1; credit--) {
    const entry = clients[cursor++ % clients.length]!;
    // Like a real client, a bounded in-flight window; an overloaded hub shows as skipped messages.
    if (entry.unacked >= 100) {
      skipped++;
      continue;
    }
    entry.unacked++;
    sent++;
    entry.client.send({
      cmd: 'publish',
      topic: `hc/v1/${entry.device.id}/telemetry`,
      payload: JSON.stringify({ heartRate: 60 + (seq % 40), spo2: 97, seq: ++seq }),
      qos: 1,
      messageId: entry.client.messageId(),
      retain: false,
      dup: false,
    });
  }
}
const elapsed = (Date.now() - start) / 1000;
await sleep(1_000);
process.stdout.write(`${JSON.stringify({ sent, acked, skipped, sentPerSec: Math.round(sent / elapsed), ackedPerSec: Math.round(acked / elapsed) })}\n`);
for (const { client } of clients) client.destroy();
