/**
 * What an admin needs to know about the hub's data (issue 13 item 2, DESIGN.md
 * §1 "admin: retention, backups"): is there a recent backup, and what is kept
 * where, for how long. Read-only and computed on request from the files
 * themselves — the backup manifests `npm run backup` writes, the journal's and
 * the delivery log's monthly files — so it can never disagree with the disk.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listJournalFiles } from './journal-files.js';
import { monthOfFileName } from './journal-format.js';
import { MANIFEST, type Manifest } from './backup-manifest.js';

/** A daily backup plus two hours of slack: older than this, the status says the backup is overdue. */
export const BACKUP_MAX_AGE_HOURS = 26;

export interface MonthFile {
  month: string;
  bytes: number;
}

export interface BackupSummary {
  name: string;
  createdAt: string;
  ageHours: number;
  files: number;
  bytes: number;
  journalLines: number;
}

export interface DataStatus {
  checkedAt: string;
  storage: 'files' | 'postgres';
  backup: {
    /** HUB_BACKUP_DIR, or null when unset (nothing to check). */
    dir: string | null;
    count: number;
    latest: BackupSummary | null;
    maxAgeHours: number;
    /** No backup, the newest one too old, or the directory unreadable. */
    overdue: boolean;
    problem?: string | undefined;
  };
  retention: {
    /** Alerts and audit: append-only, never deleted by the hub (files: monthly journal files; PostgreSQL: rows). */
    journal: { months: MonthFile[] | null; alerts: number; oldestAlertAt: string | null };
    /** The notification delivery log, by month; the hub loads the last two at start. */
    deliveries: { months: MonthFile[] };
  };
}

export interface DataStatusDeps {
  dataDir: string;
  backupDir: string | undefined;
  storage: 'files' | 'postgres';
  /** The alerts the journal holds (their count and the oldest are reported). */
  alerts(): readonly { raisedAt: string }[];
  now(): number;
}

const DELIVERY_FILE = /^deliveries-(\d{4}-\d{2})\.jsonl$/;

export async function dataStatus(deps: DataStatusDeps): Promise<DataStatus> {
  const now = deps.now();
  const all = deps.alerts();
  const oldest = all.reduce<string | null>((min, a) => (min === null || a.raisedAt < min ? a.raisedAt : min), null);
  const journalMonths =
    deps.storage === 'files'
      ? await monthFiles(join(deps.dataDir, 'journal'), listJournalFiles, (name) => monthOfFileName(name))
      : null;
  const deliveryMonths = await monthFiles(join(deps.dataDir, 'notifications'), listNames, (name) => DELIVERY_FILE.exec(name)?.[1]);
  return {
    checkedAt: new Date(now).toISOString(),
    storage: deps.storage,
    backup: await backupStatus(deps.backupDir, now),
    retention: {
      journal: { months: journalMonths, alerts: all.length, oldestAlertAt: oldest },
      deliveries: { months: deliveryMonths },
    },
  };
}

async function listNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Bytes per month of the files in `dir` whose name carries a month. */
async function monthFiles(dir: string, list: (dir: string) => Promise<string[]>, monthOf: (name: string) => string | undefined): Promise<MonthFile[]> {
  const byMonth = new Map<string, number>();
  for (const name of await list(dir)) {
    const month = monthOf(name);
    if (!month) continue;
    const { size } = await stat(join(dir, name));
    byMonth.set(month, (byMonth.get(month) ?? 0) + size);
  }
  return [...byMonth].sort(([a], [b]) => a.localeCompare(b)).map(([month, bytes]) => ({ month, bytes }));
}

async function backupStatus(dir: string | undefined, now: number): Promise<DataStatus['backup']> {
  const base = { dir: dir ?? null, count: 0, latest: null, maxAgeHours: BACKUP_MAX_AGE_HOURS };
  if (!dir) return { ...base, overdue: true };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    return { ...base, overdue: true, problem: `cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  // Only whole backups count: `<out>.partial` is one still being written or one that failed.
  const backups: BackupSummary[] = [];
  for (const name of names.filter((n) => !n.endsWith('.partial'))) {
    const manifest = await readManifest(join(dir, name));
    if (!manifest) continue;
    backups.push({
      name,
      createdAt: manifest.createdAt,
      ageHours: Math.round(((now - Date.parse(manifest.createdAt)) / 3_600_000) * 10) / 10,
      files: manifest.files.length,
      bytes: manifest.files.reduce((sum, f) => sum + f.bytes, 0),
      journalLines: manifest.journal.lines,
    });
  }
  backups.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const latest = backups[0] ?? null;
  return { ...base, count: backups.length, latest, overdue: latest === null || latest.ageHours > BACKUP_MAX_AGE_HOURS };
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
    return typeof manifest.createdAt === 'string' && Array.isArray(manifest.files) ? manifest : undefined;
  } catch {
    return undefined; // not a backup (another file or directory in the same place)
  }
}
