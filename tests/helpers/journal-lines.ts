/**
 * Reads every journal line of a test hub, oldest first, for tests that check
 * what was written: from the data dir's files, or — for a hub that runs on
 * PostgreSQL (test-hub.ts, HUB_TEST_STORE=postgres) — from its database.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scanJournal } from '../../hub/storage/postgres/journal-sql.js';
import { withClient } from './pg-server.js';
import { databaseOfDataDir } from './test-hub.js';

export async function journalLines(dataDir: string): Promise<{ n: number; at: string; type: string; data: any }[]> {
  const databaseUrl = databaseOfDataDir(dataDir);
  if (databaseUrl) {
    const lines: string[] = [];
    await withClient(databaseUrl, (client) => scanJournal(client, ({ text }) => void lines.push(text)));
    return lines.map((l) => JSON.parse(l));
  }
  const dir = join(dataDir, 'journal');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();
  const text = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('');
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
