/**
 * Real journal files whose fdatasync waits while a gate is closed: a journal
 * that does not become durable, on demand (PUBACK ordering, the pipeline
 * heartbeat's stall). Wraps hub/storage/journal.ts's file opener test hook.
 */
import { open } from 'node:fs/promises';
import type { OpenJournalFile } from '../../hub/storage/journal.js';

export function gatedOpener() {
  let release: (() => void) | undefined;
  let gate: Promise<void> = Promise.resolve();
  let held = 0;
  let onHeld: (() => void) | undefined;
  const opener: OpenJournalFile = async (path, flags) => {
    const handle = await open(path, flags);
    const datasync = handle.datasync.bind(handle);
    handle.datasync = async () => {
      if (release) {
        held++;
        onHeld?.();
      }
      await gate;
      return datasync();
    };
    return handle;
  };
  return {
    opener,
    /** Resolves once an fsync waits at the closed gate: the event to wait on, not a fixed time (issue 10, item 14). */
    whenHeld(): Promise<void> {
      return held > 0 ? Promise.resolve() : new Promise((resolve) => (onHeld = resolve));
    },
    close() {
      gate = new Promise((resolve) => (release = resolve));
    },
    open() {
      release?.();
      release = undefined;
    },
    get held() {
      return held;
    },
  };
}
