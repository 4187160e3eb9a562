/**
 * Homes and their residents by id, so a queue row can show who and where
 * without one request per alert. Loaded once per session and again (at most
 * once a second) when an alert names a home the console has not seen yet.
 */
import { get } from '../api/http.js';
import type { HomeView } from '../api/types.js';
import { createStore } from '../util/store.js';

export class HomesDirectory {
  readonly version = createStore(0);
  private homes = new Map<string, HomeView>();
  private loading: Promise<void> | undefined;
  private again = false;
  private lastLoad = 0;

  get(homeId: string): HomeView | undefined {
    return this.homes.get(homeId);
  }

  all(): HomeView[] {
    return [...this.homes.values()];
  }

  /** Loads the list if a home is unknown; calls coalesce. */
  ensure(homeId: string): void {
    if (!this.homes.has(homeId)) void this.refresh();
  }

  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    const wait = Math.max(0, this.lastLoad + 1_000 - Date.now());
    this.loading = new Promise<void>((resolve) => setTimeout(resolve, wait))
      .then(() => get<{ homes: HomeView[] }>('/homes'))
      .then((res) => {
        this.homes = new Map(res.homes.map((h) => [h.id, h]));
        this.version.set(this.version.get() + 1);
      })
      .catch(() => undefined)
      .finally(() => {
        this.lastLoad = Date.now();
        this.loading = undefined;
        if (this.again) {
          this.again = false;
          void this.refresh();
        }
      });
    return this.loading;
  }

  clear(): void {
    this.homes.clear();
    this.version.set(this.version.get() + 1);
  }
}
