/**
 * Operations events to the organisation's webhooks (issue 12 item 7):
 * `hub.pipeline_stalled` and `hub.pipeline_recovered`, signed like alert
 * webhooks (HMAC-SHA256 over the body, payload.ts) and sent through the same
 * address guard and host allow-list, to every enabled webhook that takes
 * critical alerts — a stalled pipeline means alarms may not be getting through.
 *
 * Not through the alert delivery queue: its records are alert-shaped and it
 * persists to storage, which may be the very stage that is stuck. These go
 * straight out from memory, retried with the alert webhooks' backoff for up
 * to an hour (retry-policy.ts); a restart forgets them, and a hub that comes
 * back stalled says so again.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { hostRefusal, type HostAllowList } from '../notify/host-allow-list.js';
import type { PostWebhook } from '../notify/http-sender.js';
import { webhookHeaders } from '../notify/payload.js';
import { nextStep } from '../notify/retry-policy.js';
import type { OrgWebhook } from '../notify/webhook-store.js';

export const OPS_EVENTS = ['hub.pipeline_stalled', 'hub.pipeline_recovered'] as const;
export type OpsEvent = (typeof OPS_EVENTS)[number];

export interface OpsWebhookDeps {
  nodeId: string;
  /** The organisation's webhooks as configured now (read from the database on a cluster standby, hence maybe a promise). */
  webhooks(): readonly OrgWebhook[] | Promise<readonly OrgWebhook[]>;
  post: PostWebhook;
  allowedHosts?: HostAllowList | undefined;
  clock: Clock;
  log: Logger;
}

interface Sending {
  event: OpsEvent;
  detail: Record<string, unknown>;
  webhookId: string;
  deliveryId: string;
  attempt: number;
  firstAttemptAt: number;
  timer?: TimerHandle | undefined;
}

export class OpsWebhooks {
  private readonly pending = new Set<Sending>();
  private readonly stopped = new AbortController();

  constructor(private readonly deps: OpsWebhookDeps) {}

  /** Webhook sends not yet answered with 2xx (for /metrics). */
  get pendingCount(): number {
    return this.pending.size;
  }

  send(event: OpsEvent, detail: Record<string, unknown>): void {
    void this.sendTo(event, detail).catch((err: unknown) => this.deps.log.error({ err, event }, 'the organisation webhooks could not be read: nobody is told of this by webhook'));
  }

  private async sendTo(event: OpsEvent, detail: Record<string, unknown>): Promise<void> {
    const targets = (await this.deps.webhooks()).filter((w) => w.enabled && w.severities.includes('critical'));
    if (this.stopped.signal.aborted) return;
    if (targets.length === 0) this.deps.log.warn({ event }, 'no enabled organisation webhook takes critical alerts: nobody is told of this by webhook');
    for (const webhook of targets) {
      const sending: Sending = { event, detail, webhookId: webhook.id, deliveryId: `ops-${randomUUID()}`, attempt: 0, firstAttemptAt: this.deps.clock.now() };
      this.pending.add(sending);
      void this.attempt(sending);
    }
  }

  stop(): void {
    this.stopped.abort();
    for (const sending of this.pending) if (sending.timer !== undefined) this.deps.clock.clearTimeout(sending.timer);
    this.pending.clear();
  }

  private async attempt(sending: Sending): Promise<void> {
    const { clock, log } = this.deps;
    // Looked up at each attempt: a webhook deleted, disabled or re-pointed meanwhile applies now.
    const webhooks = await Promise.resolve(this.deps.webhooks()).catch(() => undefined);
    if (!webhooks) return this.finish(sending, 'not sent: the organisation webhooks could not be read');
    const webhook = webhooks.find((w) => w.id === sending.webhookId);
    const refused = webhook ? hostRefusal(webhook.url, this.deps.allowedHosts) : 'webhook deleted';
    if (!webhook || !webhook.enabled || refused) return this.finish(sending, `not sent: ${refused ?? 'webhook disabled'}`);
    sending.attempt++;
    const sentAt = clock.now();
    const body = JSON.stringify({ event: sending.event, nodeId: this.deps.nodeId, ...sending.detail, deliveryId: sending.deliveryId, attempt: sending.attempt, sentAt: new Date(sentAt).toISOString() });
    const headers = webhookHeaders({ secret: webhook.secret, body, deliveryId: sending.deliveryId, sentAt });
    const result = await this.deps.post({ url: webhook.url, headers, body }, this.stopped.signal, () => clock.now());
    if (result.kind === 'cancelled' || this.stopped.signal.aborted) return;
    const step = nextStep(result, sending.attempt, sending.firstAttemptAt, clock.now());
    if (step.outcome === 'sent') return this.finish(sending);
    if (step.outcome === 'gave_up' || step.nextAttemptAt === undefined) return this.finish(sending, `gave up after ${sending.attempt} attempts: ${describe(result)}`);
    log.warn({ event: sending.event, webhookId: webhook.id, attempt: sending.attempt, result: describe(result) }, 'ops webhook failed; retrying');
    sending.timer = clock.setTimeout(() => void this.attempt(sending), step.nextAttemptAt - clock.now());
  }

  private finish(sending: Sending, problem?: string): void {
    this.pending.delete(sending);
    if (problem) this.deps.log.error({ event: sending.event, webhookId: sending.webhookId }, `ops webhook ${problem}`);
  }
}

function describe(result: Awaited<ReturnType<PostWebhook>>): string {
  return result.kind === 'response' ? `HTTP ${result.status}` : 'error' in result ? result.error : result.kind;
}
