/**
 * Rule state across a planned restart (an upgrade, a config change): on stop
 * the engine's states and pending wake-ups are written to one file, and the
 * next start restores them — so a door left open at 23:55 is still being
 * timed after a restart at midnight. The file is removed once read, and a
 * snapshot older than MAX_AGE is ignored: after a crash or a long outage,
 * stale state (a door "open" for days) must not raise alerts out of date.
 */
import { readFile, rm } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import type { RulesSnapshot } from '../rules/engine.js';

export const MAX_SNAPSHOT_AGE_MS = 15 * 60_000;

export async function saveRulesSnapshot(path: string, snapshot: RulesSnapshot): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(snapshot), { fsync: true, mode: 0o600 });
}

/** Reads and removes the snapshot; undefined when absent, unreadable or too old. */
export async function takeRulesSnapshot(path: string, now: number): Promise<RulesSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  await rm(path, { force: true });
  try {
    const snapshot = JSON.parse(text) as RulesSnapshot;
    if (typeof snapshot.savedAt !== 'number' || now - snapshot.savedAt > MAX_SNAPSHOT_AGE_MS) return undefined;
    return snapshot;
  } catch {
    return undefined;
  }
}
