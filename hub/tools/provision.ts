/**
 * `npm run provision -- --csv homes.csv --out credentials.csv [--url http://127.0.0.1:8080] [--username installer]`
 *
 * Bulk installs from a CSV file through the hub's own API (the same checks,
 * roles and audit as the installer pages). All rows are validated first;
 * then homes are created with their residents, contacts and devices 100 at a
 * time (POST /homes/batch; if the hub refuses a batch, that batch is retried
 * row by row to name the rows it refuses), and each batch's one-time
 * credentials are appended to the output file at once (mode 0600), so a
 * failure half-way loses no secret already issued. Homes
 * stay `installing`: commissioning happens on site (`--status` shows it).
 * The password comes from HUB_PASSWORD, never from the command line.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readHomeRows, type HomeRow } from './provision/csv-rows.js';

const USAGE = `Usage: npm run provision -- --csv homes.csv --out credentials.csv [--url http://127.0.0.1:8080] [--username admin]
       npm run provision -- --status <homeId> [--url …] [--username …]
The password is read from the HUB_PASSWORD environment variable.`;

function fail(message: string, code: number): never {
  process.stderr.write(`provision: ${message}\n`);
  process.exit(code);
}

class HubClient {
  private token = '';
  constructor(private readonly base: string) {}

  async login(username: string, password: string): Promise<void> {
    const res = await this.call('POST', '/auth/login', { username, password });
    this.token = res.token as string;
  }

  async call(method: string, path: string, body?: unknown): Promise<Record<string, any>> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v1${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new Error(`cannot reach the hub at ${this.base} (${(err as Error).cause ?? (err as Error).message}): is it running? set --url`);
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, any>;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.error?.message ?? res.statusText}`);
    return json;
  }
}

const CREDENTIAL_HEADER = 'line,home_id,home_name,device_id,kind,serial,secret,mqtt_host,mqtt_port\n';

type Credential = { id: string; kind: string; serial: string; secret: string; mqtt: { host: string; port: number } };

function writeCredentials(out: string, row: HomeRow, home: { id: string; name: string }, devices: readonly Credential[]): void {
  // Written as soon as the hub answers, before the next request: a secret is never only in memory.
  for (const d of devices) appendFileSync(out, [row.line, home.id, home.name, d.id, d.kind, d.serial, d.secret, d.mqtt.host, d.mqtt.port].map(csvCell).join(',') + '\n');
}

/** Up to CHUNK rows in one all-or-nothing call (POST /homes/batch: one registry write per file, not per home). */
const CHUNK = 100;

async function provisionChunk(hub: HubClient, rows: HomeRow[], out: string): Promise<string[]> {
  const res = await hub.call('POST', '/homes/batch', { homes: rows.map((r) => ({ ...r.home, devices: r.devices })) });
  const created = res.homes as { home: { id: string; name: string }; devices: Credential[] }[];
  created.forEach(({ home, devices }, i) => writeCredentials(out, rows[i]!, home, devices));
  return created.map((c) => c.home.id);
}

function csvCell(value: unknown): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
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
    const list = await hub.call('GET', `/homes/${values.status}/commissioning`);
    for (const d of list.devices as { deviceId: string; kind: string; checks: { id: string; done: boolean }[] }[]) {
      process.stdout.write(`${d.deviceId} (${d.kind}): ${d.checks.map((c) => `${c.done ? '✓' : '✗'} ${c.id}`).join('  ')}\n`);
    }
    process.stdout.write(list.allPassed ? 'all checks passed: the home can go live\n' : 'not ready to go live\n');
    return;
  }
  if (!values.csv || !values.out) fail(`--csv and --out are required\n${USAGE}`, 2);
  if (existsSync(values.out)) fail(`${values.out} exists: choose a new --out file (it will hold device secrets)`, 2);
  let text: string;
  try {
    text = readFileSync(values.csv, 'utf8');
  } catch (err) {
    return fail(`cannot read ${values.csv}: ${(err as Error).message}`, 2);
  }
  const { rows, errors } = readHomeRows(text);
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(`${values.csv}:${e.line}: ${e.message}\n`);
    fail(`${errors.length} problem(s) in ${values.csv}; nothing was created`, 2);
  }
  await hub.login(values.username, password);
  writeFileSync(values.out, CREDENTIAL_HEADER, { mode: 0o600 });
  let failed = 0;
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    try {
      const ids = await provisionChunk(hub, chunk, values.out);
      chunk.forEach((row, j) => process.stdout.write(`[${start + j + 1}/${rows.length}] line ${row.line} ${row.home.name}: ${ids[j]}, ${row.devices.length} device(s)\n`));
      continue;
    } catch {
      // The hub created nothing of this chunk: go row by row to find out which ones it refuses.
    }
    for (const [j, row] of chunk.entries()) {
      try {
        // A batch of one: all-or-nothing for the row, so a refused row leaves no half-made home.
        const [homeId] = await provisionChunk(hub, [row], values.out);
        process.stdout.write(`[${start + j + 1}/${rows.length}] line ${row.line} ${row.home.name}: ${homeId}, ${row.devices.length} device(s)\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`[${start + j + 1}/${rows.length}] line ${row.line} ${row.home.name}: FAILED ${(err as Error).message}\n`);
      }
    }
  }
  process.stdout.write(`${rows.length - failed} of ${rows.length} homes created; credentials in ${values.out} (keep it safe, it holds the device secrets)\n`);
  if (failed > 0) process.exit(1);
}

main().catch((err: unknown) => fail((err as Error).message, 1));
