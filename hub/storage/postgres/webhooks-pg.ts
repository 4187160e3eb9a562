/**
 * The organisation's webhooks on PostgreSQL (WebhooksStore): one row per
 * webhook, secret included (it signs with it) — the table is the hub role's
 * alone, as webhooks.json was mode 0600 (docs/DEPLOY.md).
 */
import type { OrgWebhook } from '../../notify/webhook-store.js';
import type { WebhooksStore } from '../ports.js';
import type { Queryable } from './journal-sql.js';
import { PgStore } from './pg-store.js';

export class PgWebhooks extends PgStore implements WebhooksStore {
  async load(): Promise<OrgWebhook[]> {
    await this.open();
    const { rows } = await this.db.query<{ body: OrgWebhook }>('SELECT body FROM webhooks ORDER BY id');
    return rows.map((r) => r.body);
  }

  put(webhook: OrgWebhook): Promise<void> {
    return this.serial(() => insertWebhooks(this.db, [webhook]));
  }

  remove(id: string): Promise<void> {
    return this.serial(() => this.db.query('DELETE FROM webhooks WHERE id = $1', [id]));
  }
}

/** Upserts webhooks in one statement (also used by migrate:to-postgres). */
export async function insertWebhooks(db: Queryable, webhooks: readonly OrgWebhook[]): Promise<void> {
  if (webhooks.length === 0) return;
  await db.query('INSERT INTO webhooks (id, body) SELECT * FROM unnest($1::text[], $2::jsonb[]) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body', [
    webhooks.map((w) => w.id),
    webhooks.map((w) => JSON.stringify(w)),
  ]);
}
