/**
 * Sessions on the default store: memory only, as the hub has always kept
 * them. One process serves every request, so nothing else needs to see them,
 * and a restart ending every session (operators log in again) is the old and
 * documented behaviour. Writing them to a file would put usable bearer
 * state on disk for no gain; PostgreSQL keeps them because several nodes
 * must share them (DESIGN.md §8).
 */
import type { SessionsStore, StoredSession } from '../ports.js';

export class MemorySessions implements SessionsStore {
  readonly location = 'memory (sessions end when the hub stops)';

  async load(): Promise<StoredSession[]> {
    return [];
  }

  async put(): Promise<void> {}

  async remove(): Promise<void> {}

  async close(): Promise<void> {}
}
