/**
 * The organisation's webhooks (admin-configured gateways), in memory for
 * every notification and persisted through a WebhooksStore
 * (hub/storage/ports.ts: webhooks.json with mode 0600, or PostgreSQL) before
 * a change returns; memory changes only once the store has it. The HMAC
 * secrets are kept in clear to sign with, and leave here only to sign a
 * request: views carry `hasSecret` instead.
 */
import { randomBytes } from 'node:crypto';
import type { Severity } from '../alerts/alert.js';
import { notFound } from '../core/errors.js';
import type { WebhooksStore } from '../storage/ports.js';

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

export function webhookView({ secret, ...rest }: OrgWebhook): OrgWebhookView {
  return { ...rest, hasSecret: secret.length > 0 };
}

export class WebhookStore {
  private items: Map<string, OrgWebhook> | undefined;

  constructor(
    private readonly store: WebhooksStore,
    private readonly now: () => number,
  ) {}

  async start(): Promise<void> {
    this.items = new Map((await this.store.load()).map((w) => [w.id, w]));
  }

  async stop(): Promise<void> {
    await this.store.close();
  }

  private get data(): Map<string, OrgWebhook> {
    if (!this.items) throw new Error('webhook store not started');
    return this.items;
  }

  list(): OrgWebhook[] {
    return [...this.data.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  get(id: string): OrgWebhook | undefined {
    return this.data.get(id);
  }

  async create(input: NewWebhook): Promise<OrgWebhook> {
    const at = new Date(this.now()).toISOString();
    const webhook: OrgWebhook = { id: `wh-${randomBytes(4).toString('hex')}`, ...input, createdAt: at, updatedAt: at };
    return this.put(webhook);
  }

  async update(id: string, change: Partial<NewWebhook>): Promise<OrgWebhook> {
    const existing = this.get(id);
    if (!existing) throw notFound('webhook', id);
    return this.put({ ...existing, ...change, id, updatedAt: new Date(this.now()).toISOString() });
  }

  async remove(id: string): Promise<OrgWebhook> {
    const existing = this.get(id);
    if (!existing) throw notFound('webhook', id);
    await this.store.remove(id);
    this.data.delete(id);
    return existing;
  }

  private async put(webhook: OrgWebhook): Promise<OrgWebhook> {
    const items = this.data;
    await this.store.put(webhook);
    items.set(webhook.id, webhook);
    return webhook;
  }
}
