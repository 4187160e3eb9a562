/** Makes sure the data dir exists and is writable before anything else starts. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

export async function ensureWritableDir(dir: string): Promise<string> {
  const absolute = resolve(dir);
  const probe = join(absolute, `.write-probe-${process.pid}`);
  try {
    await mkdir(absolute, { recursive: true });
    await writeFile(probe, 'ok');
    await rm(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupError(
      `data dir ${absolute} is not writable (${code}): set HUB_DATA_DIR or --data-dir to a directory this user can write`,
    );
  }
  return absolute;
}
