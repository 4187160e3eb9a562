/**
 * `npm run provision -- --csv homes.csv --out credentials.csv [--url http://127.0.0.1:8080] [--username installer]`
 *
 * Bulk installs from a CSV file through the hub's own API (the same checks,
 * roles and audit as the installer pages). All rows are validated first and
 * every problem is named by the physical line it is on. Then the hub is asked
 * which device serials it already has, so a re-run after a partial failure is
 * safe: a row whose home is already there is reported and skipped (devices
 * added to the row since are registered to it), a serial registered in
 * another home fails that row alone, and the other homes are created with
 * their residents, contacts and devices 100 at a time (POST /homes/batch; if
 * the hub refuses a batch, that batch is retried row by row to name the rows
 * it refuses). Each batch's one-time credentials are appended to the output
 * file at once (mode 0600), so a failure half-way loses no secret already
 * issued. Homes stay `installing`: commissioning happens on site (`--status`
 * shows it). The password comes from HUB_PASSWORD, never from the command line.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readHomeRows, type HomeRow } from './provision/csv-rows.js';
import { planRow, registeredSerials, type HubHome } from './provision/existing.js';
import { HubClient } from './provision/hub-client.js';

const USAGE = `Usage: npm run provision -- --csv homes.csv --out credentials.csv [--url http://127.0.0.1:8080] [--username admin]
       npm run provision -- --status <homeId> [--url …] [--username …]
The password is read from the HUB_PASSWORD environment variable.
Running it again with the same CSV is safe: homes already there are skipped.`;

function fail(message: string, code: number): never {
  process.stderr.write(`provision: ${message}\n`);
  process.exit(code);
}

const CREDENTIAL_HEADER = 'line,home_id,home_name,device_id,kind,serial,secret,mqtt_host,mqtt_port\n';

type Credential = { id: string; kind: string; serial: string; secret: string; mqtt: { host: string; port: number } };

function csvCell(value: unknown): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function writeCredentials(out: string, row: HomeRow, home: { id: string; name: string }, devices: readonly Credential[]): void {
  // Written as soon as the hub answers, before the next request: a secret is never only in memory.
  for (const d of devices) appendFileSync(out, [row.line, home.id, home.name, d.id, d.kind, d.serial, d.secret, d.mqtt.host, d.mqtt.port].map(csvCell).join(',') + '\n');
}

/** Up to CHUNK rows in one all-or-nothing call (POST /homes/batch: one registry write per file, not per home). */
const CHUNK = 100;

/** What one run did, row by row, for the closing line and the exit code. */
class Tally {
  created = 0;
  alreadyThere = 0;
  failed = 0;
  constructor(private readonly total: number) {}

  say(index: number, row: HomeRow, text: string): void {
    process.stdout.write(`[${index + 1}/${this.total}] line ${row.line} ${row.home.name}: ${text}\n`);
  }

  refuse(index: number, row: HomeRow, message: string): void {
    this.failed++;
    process.stderr.write(`[${index + 1}/${this.total}] line ${row.line} ${row.home.name}: FAILED ${message}\n`);
  }
}

async function createChunk(hub: HubClient, rows: HomeRow[], out: string): Promise<string[]> {
  const res = await hub.call('POST', '/homes/batch', { homes: rows.map((r) => ({ ...r.home, devices: r.devices })) });
  const created = res.homes as { home: { id: string; name: string }; devices: Credential[] }[];
  created.forEach(({ home, devices }, i) => writeCredentials(out, rows[i]!, home, devices));
  return created.map((c) => c.home.id);
}

/** Creates the new homes in chunks; a refused chunk is retried row by row to name the rows the hub refuses. */
async function createHomes(hub: HubClient, rows: { row: HomeRow; index: number }[], out: string, tally: Tally): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    try {
      const ids = await createChunk(hub, chunk.map((c) => c.row), out);
      chunk.forEach(({ row, index }, j) => tally.say(index, row, `${ids[j]}, ${row.devices.length} device(s)`));
      tally.created += chunk.length;
      continue;
    } catch {
      // The hub created nothing of this chunk: go row by row to find out which ones it refuses.
    }
    for (const { row, index } of chunk) {
      try {
        // A batch of one: all-or-nothing for the row, so a refused row leaves no half-made home.
        const [homeId] = await createChunk(hub, [row], out);
        tally.say(index, row, `${homeId}, ${row.devices.length} device(s)`);
        tally.created++;
      } catch (err) {
        tally.refuse(index, row, (err as Error).message);
      }
    }
  }
}

/** A home already there: nothing is created again; devices listed in the row since are registered to it. */
async function completeHome(hub: HubClient, row: HomeRow, index: number, homeId: string, missing: HomeRow['devices'], out: string, tally: Tally): Promise<void> {
  const added: Credential[] = [];
  try {
    for (const d of missing) added.push((await hub.call('POST', `/homes/${encodeURIComponent(homeId)}/devices`, d)) as Credential);
  } catch (err) {
    tally.refuse(index, row, `already there as ${homeId}, but adding a device failed: ${(err as Error).message}`);
    return;
  } finally {
    writeCredentials(out, row, { id: homeId, name: row.home.name }, added);
  }
  tally.alreadyThere++;
  tally.say(index, row, missing.length === 0 ? `already there as ${homeId}, skipped` : `already there as ${homeId}; ${added.length} new device(s) added to it`);
}

async function provision(hub: HubClient, rows: HomeRow[], out: string): Promise<Tally> {
  const tally = new Tally(rows.length);
  const { homes } = (await hub.call('GET', '/homes?include=devices')) as { homes: HubHome[] };
  const registered = registeredSerials(homes);
  const toCreate: { row: HomeRow; index: number }[] = [];
  for (const [index, row] of rows.entries()) {
    const plan = planRow(row, registered);
    if (plan.action === 'create') toCreate.push({ row, index });
    else if (plan.action === 'conflict') tally.refuse(index, row, plan.message);
    else await completeHome(hub, row, index, plan.homeId, plan.missing, out, tally);
  }
  await createHomes(hub, toCreate, out, tally);
  return tally;
}

async function showStatus(hub: HubClient, homeId: string): Promise<void> {
  const list = await hub.call('GET', `/homes/${encodeURIComponent(homeId)}/commissioning`);
  for (const d of list.devices as { deviceId: string; kind: string; checks: { id: string; done: boolean }[] }[]) {
    process.stdout.write(`${d.deviceId} (${d.kind}): ${d.checks.map((c) => `${c.done ? '✓' : '✗'} ${c.id}`).join('  ')}\n`);
  }
  process.stdout.write(list.allPassed ? 'all checks passed: the home can go live\n' : 'not ready to go live\n');
}

function readRowsOrExit(csv: string): HomeRow[] {
  let text: string;
  try {
    text = readFileSync(csv, 'utf8');
  } catch (err) {
    return fail(`cannot read ${csv}: ${(err as Error).message}`, 2);
  }
  const { rows, errors } = readHomeRows(text);
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(`${csv}:${e.line}: ${e.message}\n`);
    fail(`${errors.length} problem(s) in ${csv}; nothing was created`, 2);
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = (() => {
    try {
      return parseArgs({ options: { csv: { type: 'string' }, out: { type: 'string' }, url: { type: 'string', default: 'http://127.0.0.1:8080' }, username: { type: 'string', default: 'admin' }, status: { type: 'string' }, help: { type: 'boolean' } } });
    } catch (err) {
      return fail(`${(err as Error).message}\n${USAGE}`, 2);
    }
  })();
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const password = process.env.HUB_PASSWORD;
  if (!password) fail('set HUB_PASSWORD to the password of --username', 2);
  const hub = new HubClient(values.url.replace(/\/$/, ''));

  if (values.status) {
    await hub.login(values.username, password);
    return showStatus(hub, values.status);
  }
  if (!values.csv || !values.out) fail(`--csv and --out are required\n${USAGE}`, 2);
  if (existsSync(values.out)) fail(`${values.out} exists: choose a new --out file (it will hold device secrets)`, 2);
  const rows = readRowsOrExit(values.csv);
  await hub.login(values.username, password);
  writeFileSync(values.out, CREDENTIAL_HEADER, { mode: 0o600 });
  const tally = await provision(hub, rows, values.out);
  process.stdout.write(
    `${tally.created} home(s) created, ${tally.alreadyThere} already there, ${tally.failed} failed, of ${rows.length}; new credentials in ${values.out} (keep it safe, it holds the device secrets)\n`,
  );
  if (tally.failed > 0) process.exit(1);
}

main().catch((err: unknown) => fail((err as Error).message, 1));
