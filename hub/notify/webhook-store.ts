/**
 * The organisation's webhooks (admin-configured gateways), in
 * `<dataDir>/notifications/webhooks.json`: lowdb, written atomically with
 * fsync like the registry, but readable by the hub's user only (mode 0600),
 * because the HMAC secrets must be kept in clear to sign with. Secrets leave
 * this file only to sign a request: views carry `hasSecret` instead.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Low } from 'lowdb';
import type { Severity } from '../alerts/alert.js';
import { notFound } from '../core/errors.js';
import { DurableJsonFile } from '../registry/json-file-adapter.js';

export interface OrgWebhook {
  id: string;
  name: string;
  url: string;
  secret: string;
  severities: Severity[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export type OrgWebhookView = Omit<OrgWebhook, 'secret'> & { hasSecret: boolean };
export type NewWebhook = Pick<OrgWebhook, 'name' | 'url' | 'secret' | 'severities' | 'enabled'>;

interface WebhookFile {
  schemaVersion: number;
  items: Record<string, OrgWebhook>;
}

const SCHEMA_VERSION = 1;

export function webhookView({ secret, ...rest }: OrgWebhook): OrgWebhookView {
  return { ...rest, hasSecret: secret.length > 0 };
}

export class WebhookStore {
  private db: Low<WebhookFile> | undefined;

  constructor(
    private readonly dir: string,
    private readonly now: () => number,
  ) {}

  async start(): Promise<void> {
    const db = new Low<WebhookFile>(new DurableJsonFile<WebhookFile>(join(this.dir, 'webhooks.json'), 0o600) /* secrets: private to the hub's user */, { schemaVersion: SCHEMA_VERSION, items: {} });
    await db.read();
    if (db.data.schemaVersion > SCHEMA_VERSION) throw new Error(`webhooks.json schema version ${db.data.schemaVersion} is newer than this hub understands; upgrade the hub`);
    this.db = db;
  }

  private get data(): WebhookFile {
    if (!this.db) throw new Error('webhook store not started');
    return this.db.data;
  }

  list(): OrgWebhook[] {
    return Object.values(this.data.items).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  get(id: string): OrgWebhook | undefined {
    return this.data.items[id];
  }

  async create(input: NewWebhook): Promise<OrgWebhook> {
    const at = new Date(this.now()).toISOString();
    const webhook: OrgWebhook = { id: `wh-${randomBytes(4).toString('hex')}`, ...input, createdAt: at, updatedAt: at };
    this.data.items[webhook.id] = webhook;
    await this.db!.write();
    return webhook;
  }

  async update(id: string, change: Partial<NewWebhook>): Promise<OrgWebhook> {
    const existing = this.get(id);
    if (!existing) throw notFound('webhook', id);
    const updated: OrgWebhook = { ...existing, ...change, id, updatedAt: new Date(this.now()).toISOString() };
    this.data.items[id] = updated;
    await this.db!.write();
    return updated;
  }

  async remove(id: string): Promise<OrgWebhook> {
    const existing = this.get(id);
    if (!existing) throw notFound('webhook', id);
    delete this.data.items[id];
    await this.db!.write();
    return existing;
  }
}
