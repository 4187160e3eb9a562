/**
 * The alert/audit journal (hub/storage, DESIGN.md §6) against real files in a
 * temp dir: torn-tail repair, corruption, verification and monthly rotation.
 * Durable writes, the writer thread and write failures: journal-writes.test.ts.
 * What every journal adapter must do (durability, group commit, replay, kill -9)
 * is in journal-store.test.ts, run against files and PostgreSQL alike.
 */
import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type JournalEntry, verifyJournal } from '../hub/storage/journal.js';
import { dir, editLine, journal, lines, seed, setClock, sha256, useJournalDir } from './helpers/journal-dir.js';

useJournalDir();

describe('open: torn tail and corruption', () => {
  it('truncates a partial last line, chains the next append to the last good line, and verify passes', async () => {
    await seed(3);
    const before = await readFile(join(dir, '2024-01.jsonl'));
    const torn = '{"n":4,"at":"2024-01-15T10:0';
    await appendFile(join(dir, '2024-01.jsonl'), torn);
    const warnings: string[] = [];
    const j = journal({ onWarning: (m) => warnings.push(m) });
    expect(await j.open()).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`torn tail of ${torn.length} bytes .*2024-01\\.jsonl starting at line 4`));
    expect(await readFile(join(dir, '2024-01.jsonl'))).toEqual(before);
    // The cut bytes are kept for inspection, outside the chain.
    const saved = (await readdir(dir)).filter((n) => n.startsWith('2024-01.jsonl.torn-'));
    expect(saved).toHaveLength(1);
    expect(await readFile(join(dir, saved[0] ?? ''), 'utf8')).toBe(torn);

    const next = j.append('after.repair', {});
    await next.durable;
    expect(next.entry.n).toBe(4);
    expect(next.entry.prev).toBe(sha256((await lines('2024-01.jsonl'))[2] ?? ''));
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 1, lines: 4 });
  });

  it('also treats unparsable complete lines and NUL padding at the very end as a torn tail', async () => {
    await seed(2);
    await appendFile(join(dir, '2024-01.jsonl'), 'garbage\n\0\0\0\0');
    const j = journal();
    expect(await j.open()).toBe(2);
    expect(await lines('2024-01.jsonl')).toHaveLength(2);
    await j.append('x', 1).durable;
    await j.close();
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 1, lines: 3 });
    // A second crash at the same clock reading keeps both saved tails.
    await appendFile(join(dir, '2024-01.jsonl'), '{"n":4');
    expect(await journal().open()).toBe(3);
    const saved = (await readdir(dir)).filter((n) => n.includes('.torn-')).sort();
    expect(saved).toEqual(['2024-01.jsonl.torn-1705312800000', '2024-01.jsonl.torn-1705312800000-1']);
  });

  it('does not truncate a bad line of the newest file when valid lines follow it', async () => {
    await seed(3);
    await editLine('2024-01.jsonl', 2, () => 'garbage');
    const size = (await stat(join(dir, '2024-01.jsonl'))).size;
    await expect(journal().open()).rejects.toThrow(/2024-01\.jsonl:2: not valid JSON .*valid lines follow it/);
    expect((await stat(join(dir, '2024-01.jsonl'))).size).toBe(size);
  });

  it('replays a broken chain but warns about it', async () => {
    await seed(4);
    await editLine('2024-01.jsonl', 2, () => undefined);
    const warnings: string[] = [];
    const j = journal({ onWarning: (m) => warnings.push(m) });
    expect(await j.open()).toBe(3);
    expect(warnings).toEqual([expect.stringMatching(/chain broken at .*2024-01\.jsonl:2 \(n=3, expected 2\)/)]);
    expect(j.append('x', 1).entry.n).toBe(5);
  });

  it('throws naming file:line on a corrupt middle line and leaves the file untouched', async () => {
    await seed(3);
    await editLine('2024-01.jsonl', 2, () => '{not json');
    const size = (await stat(join(dir, '2024-01.jsonl'))).size;
    await expect(journal().open()).rejects.toThrow(/2024-01\.jsonl:2: not valid JSON/);
    expect((await stat(join(dir, '2024-01.jsonl'))).size).toBe(size);
  });

  it('throws on a partial line at the end of a file that is not the newest', async () => {
    await seed(2);
    await appendFile(join(dir, '2024-01.jsonl'), '{"n":3');
    // A newer file exists, so January's partial line cannot be a torn write.
    await writeFile(join(dir, '2024-02.jsonl'), '');
    await expect(journal().open()).rejects.toThrow(/2024-01\.jsonl:3: incomplete line/);
  });
});

describe('verifyJournal', () => {
  it('is ok with 0 lines for a missing or empty directory', async () => {
    expect(await verifyJournal(join(dir, 'nope'))).toEqual({ ok: true, files: 0, lines: 0 });
  });

  // A line's prev covers the line before it: editing line 3's data leaves line
  // 3 self-consistent, and it is line 4 whose prev no longer matches.
  it('reports an edited data value at the NEXT line, naming the edited one', async () => {
    await seed(5);
    await editLine('2024-01.jsonl', 3, (l) => l.replace('"i":2', '"i":9'));
    const result = await verifyJournal(dir);
    expect(result).toMatchObject({ ok: false, file: '2024-01.jsonl', line: 4, lines: 3 });
    expect(result.ok || result.reason).toBe('prev hash does not match line 3 — line 3 or this line was edited');
  });

  it('reports an edited n at the edited line itself', async () => {
    await seed(5);
    await editLine('2024-01.jsonl', 3, (l) => l.replace('"n":3', '"n":7'));
    expect(await verifyJournal(dir)).toMatchObject({ ok: false, line: 3, reason: expect.stringMatching(/^n is 7, expected 3/) });
  });

  it('reports a deleted line at the line that took its place', async () => {
    await seed(5);
    await editLine('2024-01.jsonl', 3, () => undefined);
    expect(await verifyJournal(dir)).toMatchObject({
      ok: false,
      line: 3,
      reason: expect.stringMatching(/^n is 4, expected 3: 1 line missing/),
    });
  });

  it('cannot see an edit of the newest line: nothing after it holds its hash (documented limit)', async () => {
    await seed(3);
    await editLine('2024-01.jsonl', 3, (l) => l.replace('"i":2', '"i":9'));
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 1, lines: 3 });
  });

  it('reports a torn tail as broken without repairing it', async () => {
    await seed(2);
    await appendFile(join(dir, '2024-01.jsonl'), '{"n":3');
    expect(await verifyJournal(dir)).toMatchObject({ ok: false, line: 3, reason: expect.stringMatching(/incomplete last line/) });
    expect(await lines('2024-01.jsonl')).toHaveLength(2);
  });
});

describe('monthly rotation', () => {
  it('starts a new file when the UTC month changes and keeps one chain across files', async () => {
    setClock(Date.parse('2024-01-31T23:59:59.000Z'));
    const j = journal();
    await j.open();
    j.append('jan', 1);
    j.append('jan', 2);
    await j.whenDurable();
    j.append('jan', 3);
    setClock(Date.parse('2024-02-01T00:00:00.500Z')); // same tick: the batch is split at the month boundary
    j.append('feb', 4);
    await j.whenDurable();
    j.append('feb', 5);
    await j.close();

    expect((await readdir(dir)).sort()).toEqual(['2024-01.jsonl', '2024-02.jsonl']);
    const jan = await lines('2024-01.jsonl');
    const feb = await lines('2024-02.jsonl');
    expect(jan).toHaveLength(3);
    expect(feb).toHaveLength(2);
    expect((JSON.parse(feb[0] ?? '') as JournalEntry).prev).toBe(sha256(jan[2] ?? ''));
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 2, lines: 5 });

    // Reopen; a clock stepped back into January must not write into the older file.
    setClock(Date.parse('2024-01-20T00:00:00.000Z'));
    const j2 = journal();
    const replayed: number[] = [];
    expect(await j2.open((e) => replayed.push(e.n))).toBe(5);
    expect(replayed).toEqual([1, 2, 3, 4, 5]);
    await j2.append('late', 6).durable;
    expect(await lines('2024-02.jsonl')).toHaveLength(3);
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 2, lines: 6 });

    // An edit of January's last line is caught by February's first line.
    await j2.close();
    await editLine('2024-01.jsonl', 3, (l) => l.replace('"data":3', '"data":33'));
    expect(await verifyJournal(dir)).toMatchObject({
      ok: false,
      file: '2024-02.jsonl',
      line: 1,
      reason: 'prev hash does not match line 3 of 2024-01.jsonl — line 3 of 2024-01.jsonl or this line was edited',
    });
  });
});
