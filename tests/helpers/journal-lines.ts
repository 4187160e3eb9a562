/** Reads every journal line of a data dir, oldest first, for tests that check what was written. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function journalLines(dataDir: string): Promise<{ n: number; at: string; type: string; data: any }[]> {
  const dir = join(dataDir, 'journal');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();
  const text = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('');
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
