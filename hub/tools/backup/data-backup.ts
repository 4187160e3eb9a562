/**
 * Backup and restore of a data dir, safe while the hub runs (issue 7 item 6).
 *
 * What a running hub does to its files, and how the copy stays consistent:
 * - `*.json` (the registry, visits, webhooks) are replaced whole by
 *   write-file-atomic (temp file + fsync + rename), so one read of a file sees
 *   one complete version. Several files are read as one snapshot
 *   optimistically: read them all, copy the journal, read them all again; if
 *   any changed meanwhile, start over. The registry copy therefore holds every
 *   home, device and user that any copied journal line refers to.
 * - `*.jsonl` (the journal, notification deliveries) are only appended to, so
 *   a prefix of each is a consistent copy: each file is copied up to its last
 *   newline at the moment it is read (a line being appended is left out).
 *   The journal copy is then verified line by line (n and the hash chain), and
 *   its line count and last hash are written to the manifest as the anchor
 *   that also catches an edit of the very last line (verify-journal.ts).
 * - Anything else (write-file-atomic temp files, `.torn-*` evidence, write
 *   probes, migration `.bak` copies) is not part of the state and is skipped.
 *
 * The backup goes to `<out>.partial` and is renamed to `<out>` once complete
 * and fsync'd, so a directory named `<out>` is always a whole backup.
 * Restore checks every file's SHA-256 against the manifest and the journal
 * against its anchor before it writes anything, into an empty data dir only.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fsyncDir } from '../../storage/journal-files.js';
import { hashLine } from '../../storage/journal-format.js';
import { verifyJournal } from '../../storage/verify-journal.js';

export { MANIFEST, type Manifest, type ManifestFile } from '../../storage/backup-manifest.js';
import { MANIFEST, type Manifest, type ManifestFile } from '../../storage/backup-manifest.js';

const FORMAT = 1;

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Files under `dir` as paths relative to it, sorted; `.partial` dirs and symlinks are skipped. */
async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path, base)));
    else if (entry.isFile()) out.push(relative(base, path));
  }
  return out.sort();
}

type Kind = 'snapshot' | 'append-only' | 'skip';

function kindOf(path: string): Kind {
  const name = path.split(sep).at(-1)!;
  if (name === MANIFEST || name.startsWith('.')) return 'skip';
  if (name.endsWith('.jsonl')) return 'append-only';
  if (name.endsWith('.json')) return 'snapshot';
  return 'skip';
}

/** The bytes of an append-only file up to and including its last newline. */
async function completeLines(path: string): Promise<Buffer> {
  const buf = await readFile(path);
  const end = buf.lastIndexOf(10);
  return end === -1 ? Buffer.alloc(0) : buf.subarray(0, end + 1);
}

async function readSnapshotFiles(dataDir: string, paths: string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const p of paths) {
    try {
      out.set(p, await readFile(join(dataDir, p)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}

function sameSnapshot(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false;
  return true;
}

async function writeDurably(path: string, data: Buffer): Promise<void> {
  // A backup holds what the data dir holds: private to this user (DESIGN.md §11).
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

async function syncTree(dir: string): Promise<void> {
  const dirs = new Set([dir]);
  for (const f of await walk(dir)) dirs.add(dirname(join(dir, f)));
  for (const d of dirs) await fsyncDir(d);
}

export interface BackupResult {
  out: string;
  manifest: Manifest;
  skipped: string[];
}

/** Copies a (possibly running) hub's data dir to `out`, which must not exist or be empty. */
export async function backupDataDir(dataDir: string, out: string, options: { maxAttempts?: number } = {}): Promise<BackupResult> {
  if (!(await stat(dataDir).catch(() => undefined))?.isDirectory()) throw new BackupError(`data dir ${dataDir} does not exist`);
  if (!(await isEmptyOrMissing(out))) throw new BackupError(`${out} exists and is not empty: choose a new --out directory`);
  const partial = `${out}.partial`;
  const maxAttempts = options.maxAttempts ?? 10;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    await rm(partial, { recursive: true, force: true });
    const all = await walk(dataDir);
    const snapshotPaths = all.filter((p) => kindOf(p) === 'snapshot');
    const appendPaths = all.filter((p) => kindOf(p) === 'append-only');
    const skipped = all.filter((p) => kindOf(p) === 'skip');

    const before = await readSnapshotFiles(dataDir, snapshotPaths);
    const appended = new Map<string, Buffer>();
    for (const p of appendPaths) appended.set(p, await completeLines(join(dataDir, p)));
    const after = await readSnapshotFiles(dataDir, snapshotPaths);
    // A new registry file appearing meanwhile also counts as a change.
    const newFiles = (await walk(dataDir)).filter((p) => kindOf(p) === 'snapshot' && !snapshotPaths.includes(p));
    if (!sameSnapshot(before, after) || newFiles.length > 0) continue;

    const files: ManifestFile[] = [];
    for (const [p, data] of [...before, ...appended].sort(([a], [b]) => a.localeCompare(b))) {
      await writeDurably(join(partial, p), data);
      files.push({ path: p.split(sep).join('/'), bytes: data.length, sha256: sha256(data) });
    }
    const journal = await verifyCopiedJournal(join(partial, 'journal'));
    const manifest: Manifest = { format: FORMAT, createdAt: new Date().toISOString(), source: dataDir, attempts: attempt, journal, files };
    await writeDurably(join(partial, MANIFEST), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    await syncTree(partial);
    await rm(out, { recursive: true, force: true }); // empty or missing, checked above
    await rename(partial, out);
    await fsyncDir(dirname(out));
    return { out, manifest, skipped };
  }
  await rm(partial, { recursive: true, force: true });
  throw new BackupError(`the registry kept changing during ${maxAttempts} attempts; try again when the hub is less busy`);
}

async function verifyCopiedJournal(dir: string): Promise<Manifest['journal']> {
  const result = await verifyJournal(dir);
  if (!result.ok) throw new BackupError(`the journal is broken at ${result.file}:${result.line} (${result.reason}); run npm run audit:verify`);
  return { files: result.files, lines: result.lines, lastHash: await lastLineHash(dir) };
}

async function lastLineHash(journalDir: string): Promise<string | null> {
  const names = (await readdir(journalDir).catch(() => [] as string[])).filter((n) => n.endsWith('.jsonl')).sort();
  for (const name of names.reverse()) {
    const buf = await readFile(join(journalDir, name));
    const text = buf.subarray(0, buf.length - 1); // without the final newline
    if (text.length === 0) continue;
    return hashLine(text.subarray(text.lastIndexOf(10) + 1));
  }
  return null;
}

export interface RestoreResult {
  dataDir: string;
  manifest: Manifest;
}

/** Checks a backup completely, then copies it into `dataDir`, which must not exist or be empty. */
export async function restoreDataDir(from: string, dataDir: string): Promise<RestoreResult> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(from, MANIFEST), 'utf8')) as Manifest;
  } catch {
    throw new BackupError(`${from} is not a backup (no readable ${MANIFEST})`);
  }
  if (manifest.format !== FORMAT) throw new BackupError(`backup format ${manifest.format} is not supported by this hub (${FORMAT})`);
  if (!(await isEmptyOrMissing(dataDir))) throw new BackupError(`${dataDir} is not empty: restore into a new directory (move the old data dir aside first)`);

  const contents = new Map<string, Buffer>();
  for (const f of manifest.files) {
    const data = await readFile(join(from, f.path)).catch(() => undefined);
    if (!data) throw new BackupError(`backup file ${f.path} is missing`);
    if (data.length !== f.bytes || sha256(data) !== f.sha256) throw new BackupError(`backup file ${f.path} was changed after the backup (SHA-256 differs)`);
    contents.set(f.path, data);
  }
  const journal = await verifyCopiedJournal(join(from, 'journal')).catch((err: Error) => {
    throw new BackupError(`backup journal: ${err.message}`);
  });
  if (journal.lines !== manifest.journal.lines || journal.lastHash !== manifest.journal.lastHash) {
    throw new BackupError(`backup journal does not match its manifest (${journal.lines} lines, expected ${manifest.journal.lines})`);
  }

  const partial = `${dataDir.replace(/[\\/]+$/, '')}.restoring`;
  await rm(partial, { recursive: true, force: true });
  for (const [p, data] of contents) await writeDurably(join(partial, p), data);
  await syncTree(partial);
  await rm(dataDir, { recursive: true, force: true }); // empty or missing, checked above
  await rename(partial, dataDir);
  await fsyncDir(dirname(dataDir));
  return { dataDir, manifest };
}
