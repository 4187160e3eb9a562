/**
 * Whether the hub this console talks to can take alarms now: its public
 * `/api/v1/health`, asked every 5 s while someone other than a family member
 * is logged in.
 *
 * Why on the console and not only on /health and the organisation webhook:
 * in the 2020 Swedish failure (../shared/REFERENCES.md) alarms were delayed
 * for a day and nobody at the desks knew. When the journal cannot store
 * alarms, the database or Redis does not answer, or the pipeline heartbeat
 * stalls, the people watching the queue must see it at once. An empty queue
 * then means nothing.
 *
 * A hub that does not answer at all is not reported here: the stream's badge
 * already shows "Reconnecting…".
 */
import { API } from '../api/http.js';
import { createStore } from '../util/store.js';

const POLL_MS = 5_000;

export interface HubTrouble {
  /** The hub's own one-line reason (English, as /health gives it). */
  reason: string;
  /** stalled: alarms are stored but late; refused: they are not acknowledged (devices keep them). */
  kind: 'stalled' | 'refused';
  /** When this console first saw it (epoch ms). */
  since: number;
}

export class HubHealth {
  readonly trouble = createStore<HubTrouble | undefined>(undefined);
  private timer: number | undefined;
  /** Bumped by stop(): an answer that arrives after it is dropped. */
  private generation = 0;

  start(): void {
    if (this.timer !== undefined) return;
    void this.check(this.generation);
    this.timer = window.setInterval(() => void this.check(this.generation), POLL_MS);
  }

  stop(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
    this.generation += 1;
    this.trouble.set(undefined);
  }

  private async check(generation: number): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${API}/health`, { cache: 'no-store', headers: { accept: 'application/json' } });
    } catch {
      return; // unreachable: the stream's badge says so
    }
    const body = (await response.json().catch(() => undefined)) as { ok?: boolean; reason?: string } | undefined;
    if (generation !== this.generation) return;
    if (response.ok && body?.ok !== false) return this.trouble.set(undefined);
    const reason = body?.reason ?? `the hub answered ${response.status}`;
    const seen = this.trouble.get();
    if (seen?.reason === reason) return;
    this.trouble.set({ reason, kind: reason.startsWith('pipeline stalled') ? 'stalled' : 'refused', since: seen?.since ?? Date.now() });
  }
}
