/**
 * Real journal files whose durable write waits while a gate is closed: a
 * journal that does not become durable, on demand (PUBACK ordering, the
 * pipeline heartbeat's stall). The files are opened O_DSYNC, so the write is
 * the durable step (hub/storage/journal-writer.ts). Wraps
 * hub/storage/journal.ts's file opener test hook.
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
    const write = handle.write.bind(handle) as (...args: unknown[]) => ReturnType<typeof handle.write>;
    handle.write = (async (...args: unknown[]) => {
      if (release) {
        held++;
        onHeld?.();
      }
      await gate;
      return write(...args);
    }) as typeof handle.write;
    return handle;
  };
  return {
    opener,
    /** Resolves once a durable write waits at the closed gate: the event to wait on, not a fixed time (issue 10, item 14). */
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
