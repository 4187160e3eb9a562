/** The hub as a child process for long runs, plus reading what it wrote. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listJournalFiles } from '../../../hub/storage/journal-files.js';
import { scanJournal } from '../../../hub/storage/postgres/journal-sql.js';
import { verifyPgJournal } from '../../../hub/storage/postgres/verify-journal-pg.js';
import { verifyJournal } from '../../../hub/storage/verify-journal.js';
import { ApiClient } from '../../helpers/api-client.js';
import { withClient } from '../../helpers/pg-server.js';
import { startHubProcess, type HubProcess } from '../../helpers/hub-process.js';

export const PASSWORD = 'reliability-run-password';

/** Limits raised so that one test host can act as hundreds of devices (README: load tests). */
export const LOAD_ENV = {
  HUB_CONNECTIONS_PER_IP_PER_SEC: '100000',
  HUB_PUBLISHES_PER_DEVICE_PER_SEC: '1000',
  HUB_LOG_LEVEL: 'error',
};

export async function startHub(dataDir: string, env: Record<string, string> = {}): Promise<{ proc: HubProcess; api: ApiClient }> {
  const proc = await startHubProcess({ HUB_DATA_DIR: dataDir, HUB_ADMIN_PASSWORD: PASSWORD, ...LOAD_ENV, ...env }, 60_000);
  const api = new ApiClient(`http://127.0.0.1:${proc.httpPort}`);
  await api.login('admin', PASSWORD);
  return { proc, api };
}

export async function killHard(proc: HubProcess): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGKILL');
  await proc.exited;
}

export async function stopGracefully(proc: HubProcess, timeoutMs = 15_000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  await proc.exited;
  clearTimeout(timer);
}

export interface JournalLine {
  n: number;
  at: string;
  type: string;
  data: any;
}

/** Every line of the journal, in order: under `dataDir`, or in the database when the hub ran on one. */
export async function readJournal(dataDir: string, databaseUrl?: string): Promise<JournalLine[]> {
  const lines: JournalLine[] = [];
  if (databaseUrl) {
    await withClient(databaseUrl, (db) => scanJournal(db, ({ entry }) => void lines.push(entry as JournalLine)));
    return lines;
  }
  const dir = join(dataDir, 'journal');
  for (const file of await listJournalFiles(dir)) {
    for (const text of (await readFile(join(dir, file), 'utf8')).split('\n')) if (text) lines.push(JSON.parse(text));
  }
  return lines;
}

/** The hash chain check of `npm run audit:verify`, on the files or the database. */
export async function verifyChain(dataDir: string, databaseUrl?: string): Promise<{ ok: boolean }> {
  if (databaseUrl) return withClient(databaseUrl, verifyPgJournal);
  return verifyJournal(join(dataDir, 'journal'));
}

/** (deviceId, seq) of every alarm in the journal: `alert.raised` and `alert.occurrence` triggers. */
export function alarmKeysInJournal(lines: JournalLine[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const trigger = line.type === 'alert.raised' ? line.data.alert?.trigger : line.type === 'alert.occurrence' ? line.data.trigger : undefined;
    if (!trigger?.deviceId || trigger.seq === undefined) continue;
    const key = `${trigger.deviceId}:${trigger.seq}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** (deviceId, seq) of every alarm the API shows: each alert's trigger and its occurrences. */
export async function alarmKeysInApi(api: ApiClient): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (let offset = 0; ; offset += 1000) {
    const page = await api.get(`/api/v1/alerts?limit=1000&offset=${offset}`);
    if (page.status !== 200) throw new Error(`GET /alerts: ${page.status}`);
    const alerts = page.body.alerts as { id: string }[];
    for (const { id } of alerts) {
      const alert = (await api.get(`/api/v1/alerts/${id}`)).body;
      if (alert.trigger?.deviceId && alert.trigger.seq !== undefined) add(`${alert.trigger.deviceId}:${alert.trigger.seq}`);
      for (const entry of alert.timeline as { type: string; actor: string; seq?: number }[]) {
        if (entry.type === 'occurrence' && entry.actor.startsWith('device:') && entry.seq !== undefined) add(`${entry.actor.slice('device:'.length)}:${entry.seq}`);
      }
    }
    if (alerts.length < 1000) break;
  }
  return counts;
}

/** RSS of a process in bytes (Linux /proc). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

export const MB = 1024 * 1024;
