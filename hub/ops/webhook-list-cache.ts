/**
 * The organisation's webhooks as a cluster standby sees them (issue 12 item
 * 7). A standby runs no notification service, so it has no list in memory;
 * yet its heartbeat is what notices a leader whose pipeline is stuck, and it
 * must tell the webhooks itself. It reads the list from the database when it
 * needs it, and keeps the last list it read for when the database is what
 * has stopped answering.
 */
import type { OrgWebhook } from '../notify/webhook-store.js';

export class WebhookListCache {
  private last: readonly OrgWebhook[] = [];

  constructor(private readonly load: () => Promise<readonly OrgWebhook[]>) {}

  /** The list from the database now, or the last one read when it cannot be reached. */
  async list(): Promise<readonly OrgWebhook[]> {
    try {
      this.last = await this.load();
    } catch {
      // The database may be the stalled part: the last list read is still where to send.
    }
    return this.last;
  }
}
