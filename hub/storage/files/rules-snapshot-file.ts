/**
 * The rules snapshot on files (RulesSnapshotStore): `<dataDir>/rules-state.json`,
 * written atomically with fsync, private to the hub's user, and removed once
 * read (hub/storage/rules-snapshot.ts says why and when it is used).
 */
import { readFile, rm } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import type { PipelineSnapshot, RulesSnapshotStore } from '../ports.js';
import { usableSnapshot } from '../rules-snapshot.js';

export class RulesSnapshotFile implements RulesSnapshotStore {
  constructor(private readonly path: string) {}

  get location(): string {
    return this.path;
  }

  async save(snapshot: PipelineSnapshot): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(snapshot), { fsync: true, mode: 0o600 });
  }

  async take(now: number): Promise<PipelineSnapshot | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return undefined;
    }
    await rm(this.path, { force: true });
    return usableSnapshot(text, now);
  }

  /** The saved snapshot as it is, without removing it or judging its age (migrate:to-postgres); undefined when absent or unreadable. */
  async read(): Promise<PipelineSnapshot | undefined> {
    const text = await readFile(this.path, 'utf8').catch(() => undefined);
    return text === undefined ? undefined : usableSnapshot(text, Number.NEGATIVE_INFINITY);
  }

  async close(): Promise<void> {
    // Every save completed before it returned; nothing to release.
  }
}
