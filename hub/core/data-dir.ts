/**
 * Makes sure the data dir exists, is writable and is private before anything
 * else starts. It holds password hashes, device secrets and residents'
 * medical notes (DESIGN.md §11: data dir 0700, files 0600), so a data dir
 * left readable by others, by an older hub or a careless copy, is tightened
 * at start and the caller is told what changed.
 */
import type { Dirent } from 'node:fs';
import { chmod, lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** What tightening did: paths (relative to the data dir) with their old and new modes, and any it could not change. */
export interface Tightened {
  changed: { path: string; from: string; to: string }[];
  failed: { path: string; error: string }[];
}

export async function ensureWritableDir(dir: string, onTightened?: (result: Tightened) => void): Promise<string> {
  const absolute = resolve(dir);
  const probe = join(absolute, `.write-probe-${process.pid}`);
  try {
    await mkdir(absolute, { recursive: true, mode: PRIVATE_DIR_MODE });
    await writeFile(probe, 'ok', { mode: PRIVATE_FILE_MODE });
    await rm(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupError(
      `data dir ${absolute} is not writable (${code}): set HUB_DATA_DIR or --data-dir to a directory this user can write`,
    );
  }
  const result = await tightenPermissions(absolute);
  if (onTightened && (result.changed.length > 0 || result.failed.length > 0)) onTightened(result);
  return absolute;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Removes group and other access from the data dir and everything in it:
 * directories become 0700, files 0600. Symbolic links are neither followed
 * nor changed (chmod would act on their target, which may be outside).
 * POSIX only: Windows has no such modes.
 */
export async function tightenPermissions(root: string): Promise<Tightened> {
  const result: Tightened = { changed: [], failed: [] };
  if (process.platform === 'win32') return result;
  const visit = async (relative: string, isDir: boolean): Promise<void> => {
    const path = join(root, relative);
    const wanted = isDir ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
    try {
      const { mode } = await lstat(path);
      if ((mode & 0o077) !== 0) {
        await chmod(path, wanted);
        result.changed.push({ path: relative || '.', from: octal(mode), to: octal(wanted) });
      }
      if (!isDir) return;
      const entries: Dirent[] = await readdir(path, { withFileTypes: true });
      for (const entry of entries) {
        if (entry.isDirectory() || entry.isFile()) await visit(join(relative, entry.name), entry.isDirectory());
      }
    } catch (err) {
      // Gone meanwhile, or not ours to change: said, not fatal — the hub must still serve its homes.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') result.failed.push({ path: relative || '.', error: (err as Error).message });
    }
  };
  await visit('', true);
  return result;
}
