/** Who is online, away or offline (issue 13 item 7), as the stream last said. */
import type { PresenceEntry, StreamMessage } from '../api/types.js';
import { createStore } from '../util/store.js';

export class PresenceBook {
  readonly list = createStore<readonly PresenceEntry[]>([]);

  apply(message: StreamMessage): void {
    if ((message.type === 'snapshot' || message.type === 'resumed') && message.presence) this.list.set(message.presence);
    if (message.type === 'presence') this.list.set(message.presence);
  }

  of(username: string): PresenceEntry | undefined {
    return this.list.get().find((p) => p.username === username);
  }

  clear(): void {
    this.list.set([]);
  }
}
