/**
 * The organisation's webhooks on files (WebhooksStore):
 * `<dataDir>/notifications/webhooks.json`, lowdb written atomically with
 * fsync like the registry, readable by the hub's user only (mode 0600),
 * because the HMAC secrets are kept in clear to sign with.
 */
import type { Low } from 'lowdb';
import type { OrgWebhook } from '../../notify/webhook-store.js';
import type { WebhooksStore } from '../ports.js';
import { openVersionedJson } from './durable-json-file.js';

interface WebhookFileShape {
  schemaVersion: number;
  items: Record<string, OrgWebhook>;
}

const SCHEMA_VERSION = 1;

export class WebhooksFile implements WebhooksStore {
  private db: Low<WebhookFileShape> | undefined;

  constructor(private readonly path: string) {}

  get location(): string {
    return this.path;
  }

  async load(): Promise<OrgWebhook[]> {
    // Mode 0600 (DurableJsonFile's default): the secrets are private to the hub's user.
    const db = await openVersionedJson<WebhookFileShape>(this.path, { schemaVersion: SCHEMA_VERSION, items: {} });
    this.db = db;
    return Object.values(db.data.items);
  }

  async put(webhook: OrgWebhook): Promise<void> {
    const db = this.opened();
    db.data.items[webhook.id] = webhook;
    await db.write();
  }

  async remove(id: string): Promise<void> {
    const db = this.opened();
    delete db.data.items[id];
    await db.write();
  }

  async close(): Promise<void> {
    // Every write completed before it returned; nothing to release.
  }

  private opened(): Low<WebhookFileShape> {
    if (!this.db) throw new Error('webhooks file: write before load()');
    return this.db;
  }
}
