/**
 * The journal tests' temp dir and clock (journal.test.ts, journal-writes.test.ts):
 * a fresh journal dir and a clock at 2024-01-15 10:00 UTC before each test, every
 * journal a test opened closed and the dir removed after it, and the small tools
 * to seed, read and edit the month files.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { Journal, type JournalEntry, type JournalOptions } from '../../hub/storage/journal.js';

/** This test's journal dir (a live binding: read it after beforeEach). */
export let dir: string;
let journals: Journal[];
let clock: number;
const now = (): number => clock;

/** Moves the journals' clock (month rotation, a clock stepped back). */
export function setClock(ms: number): void {
  clock = ms;
}

/** Registers the fresh dir and clock before each test and the clean-up after it. */
export function useJournalDir(): void {
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'journal-test-')), 'journal');
    journals = [];
    clock = Date.parse('2024-01-15T10:00:00.000Z');
  });

  afterEach(async () => {
    await Promise.all(journals.map((j) => j.close()));
    await rm(join(dir, '..'), { recursive: true, force: true });
  });
}

export function journal(options: Partial<JournalOptions> = {}): Journal {
  const j = new Journal({ dir, now, ...options });
  journals.push(j);
  return j;
}

export async function lines(file: string): Promise<string[]> {
  const text = await readFile(join(dir, file), 'utf8');
  return text.split('\n').slice(0, -1);
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Writes `count` entries with data {i} through a journal and closes it. */
export async function seed(count: number): Promise<JournalEntry[]> {
  const j = journal();
  await j.open();
  const entries = Array.from({ length: count }, (_, i) => j.append('test.event', { i }).entry);
  await j.close();
  return entries;
}

export async function editLine(file: string, lineNo: number, edit: (line: string) => string | undefined): Promise<void> {
  const all = await lines(file);
  const edited = edit(all[lineNo - 1] ?? '');
  if (edited === undefined) all.splice(lineNo - 1, 1);
  else all[lineNo - 1] = edited;
  await writeFile(join(dir, file), `${all.join('\n')}\n`);
}
