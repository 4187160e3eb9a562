/**
 * Notifications (issue 5): alert events on the bus → targets → the delivery
 * queue → signed webhook POSTs, with the organisation's webhooks managed
 * through the admin API. Family users in the console need nothing from here:
 * the WebSocket stream already pushes `alert.raised` / `alert.updated` for
 * their homes.
 *
 * Events: `alert.raised` (a new alert, not a repeat occurrence), and the
 * durable transitions `resolved` and `escalated` (180 s unacknowledged).
 * The bus listeners only pick targets and queue (in memory, persisted in the
 * background); every request is made later by the queue, so the alert
 * pipeline never waits for a gateway.
 *
 * On a cluster (issue 12 step 3, docs/CLUSTER.md "Step 3, service by
 * service"), every node sees every alert event, but only the owner of the
 * alert's home's partition (`ownership`) queues and sends its deliveries.
 * When a partition is gained, its deliveries are read back from the shared
 * delivery log (PostgreSQL, `loadPartitions`) and the old owner's pending
 * ones resumed with their attempts so far, then the last hour's alert events
 * of its homes are offered again (the catch-up a start does), so an event the
 * old owner died before queueing is sent too. When one is lost, its
 * deliveries leave this node's memory and stay pending in the log. The gain
 * and loss handling: delivery-ownership.ts; what a delivery in flight at the
 * loss does: delivery-queue.ts.
 *
 * Not through here, and not owned: `hub.pipeline_stalled` / `_recovered`
 * (hub/ops/ops-webhooks.ts, per node, from memory). An admin's test send
 * (`webhook.test`) has no home: the node that served the request sends it.
 */
import { randomBytes } from 'node:crypto';
import type { Alert } from '../alerts/alert.js';
import { conflict, DomainError, notFound } from '../core/errors.js';
import { hostRefusal, type HostAllowList } from './host-allow-list.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import { OWNS_EVERYTHING, type PartitionOwnership } from '../core/partition-ownership.js';
import { partitionOf } from '../core/partitions.js';
import type { HomeRecord, ResidentRecord } from '../registry/records.js';
import type { DeliveryLogStore, WebhooksStore } from '../storage/ports.js';
import { DeliveryOwnership } from './delivery-ownership.js';
import { DeliveryQueue, type Delivery, type DeliveryFilter, type DeliveryStats } from './delivery-queue.js';
import { addressGuard, type AddressGuard } from './address-guard.js';
import { literalRefusal, webhookSender, type PostWebhook } from './http-sender.js';
import { webhookBody, webhookHeaders } from './payload.js';
import { selectTargets, snapshotAlert } from './targets.js';
import type { DeliveryRecord, NotifyEvent, SendResult } from './types.js';
import { displayUrl } from '../registry/webhook-url.js';
import { WebhookStore, webhookView, type NewWebhook, type OrgWebhookView } from './webhook-store.js';

/** Deliveries are retried for up to an hour; older alert events are not worth sending after a restart. */
const CATCH_UP_MS = 60 * 60_000;

export interface NotifyServiceDeps {
  /** Where the webhooks are kept (hub/storage/ports.ts). */
  webhooks: WebhooksStore;
  /** The delivery log the queue is rebuilt from at start. */
  deliveryLog: DeliveryLogStore;
  bus: EventBus<HubEvents>;
  registry: { getHome(id: string): HomeRecord | undefined; getResident(id: string): ResidentRecord | undefined; listResidents(homeId: string): ResidentRecord[] };
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  timezone: string;
  /** HUB_WEBHOOK_ALLOWED_HOSTS, parsed: where webhooks may go (undefined: anywhere). */
  allowedHosts?: HostAllowList;
  /** Which addresses webhooks may connect to (HUB_WEBHOOK_ALLOW_PRIVATE); default: no private ones. */
  addressGuard?: AddressGuard | undefined;
  /** HUB_WEBHOOK_SECRET: signs contacts' own webhooks. */
  defaultSecret: string | undefined;
  log: Logger;
  maxPending?: number | undefined;
  /** Alerts raised or changed lately (after the journal replay), to catch up on what a crash left unqueued. */
  recentAlerts?: (() => Alert[]) | undefined;
  /** Tests may replace the HTTP attempt; the default is a real POST through the address guard. */
  post?: PostWebhook | undefined;
  /** Whose homes' notifications this node sends (issue 12 step 3); default: every home's (a hub alone, the leader). */
  ownership?: PartitionOwnership | undefined;
}

/** The delivery log as operators see it. */
export interface DeliveryView {
  deliveryId: string;
  alertId: string;
  event: NotifyEvent;
  severity: string;
  target: { type: 'webhook' | 'contact'; name: string; webhookId?: string | undefined; url: string | null };
  contact?: { name: string; phone: string } | undefined;
  status: Delivery['status'];
  createdAt: string;
  nextAttemptAt: string | null;
  droppedReason?: string | undefined;
  attempts: { attempt: number; at: string; outcome: string; statusCode?: number | undefined; error?: string | undefined; nextAttemptAt?: string | undefined }[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const MIN_SECRET_LENGTH = 16;

export class NotifyService {
  readonly webhookStore: WebhookStore;
  private readonly file: DeliveryLogStore;
  private readonly queue: DeliveryQueue;
  private readonly unsubscribers: (() => void)[] = [];
  private readonly guard: AddressGuard;
  private readonly post: PostWebhook;
  private readonly ownership: PartitionOwnership;
  /** Partitions gained and lost: their deliveries read back from the log, or dropped from memory. */
  private readonly owned: DeliveryOwnership;

  constructor(private readonly deps: NotifyServiceDeps) {
    this.ownership = deps.ownership ?? OWNS_EVERYTHING;
    const now = () => deps.clock.now();
    this.guard = deps.addressGuard ?? addressGuard(undefined);
    this.post = deps.post ?? webhookSender({ guard: this.guard });
    this.webhookStore = new WebhookStore(deps.webhooks, now);
    this.file = deps.deliveryLog;
    this.queue = new DeliveryQueue({
      clock: deps.clock,
      log: deps.log,
      persist: (line) => this.file.append(line),
      send: (delivery, attempt, signal) => this.attempt(delivery, attempt, signal),
      gatewayOf: (d) => (d.target.type === 'webhook' ? `webhook:${d.target.webhookId}` : originOf(d.target.url)),
      maxPending: deps.maxPending,
      ownership: this.ownership,
    });
    this.owned = new DeliveryOwnership({
      queue: this.queue,
      deliveryLog: this.file,
      ownership: this.ownership,
      clock: deps.clock,
      log: deps.log,
      catchUp: (partitions) => this.catchUp(partitions),
    });
  }

  async start(): Promise<void> {
    const lines = await this.file.load();
    await this.webhookStore.start();
    for (const line of lines) this.queue.restore(line);
    if (this.deps.defaultSecret !== undefined && this.deps.defaultSecret.length < MIN_SECRET_LENGTH) {
      this.deps.log.warn(`HUB_WEBHOOK_SECRET is shorter than ${MIN_SECRET_LENGTH} characters: use a long random value (e.g. openssl rand -hex 32)`);
    }
    const { bus } = this.deps;
    this.unsubscribers.push(
      bus.on('alert.raised', (alert) => this.onAlertEvent('alert.raised', alert)),
      bus.on('alert.transition', ({ alert, change }) => {
        if (change === 'resolved') this.onAlertEvent('alert.resolved', alert);
        else if (change === 'escalated') this.onAlertEvent('alert.escalated', alert);
      }),
    );
    this.owned.start();
    this.catchUp();
    this.queue.start();
    const { pending } = this.queue.stats;
    if (pending > 0) this.deps.log.info({ pending }, 'notifications: pending deliveries resumed');
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribers.splice(0)) off();
    await this.owned.stop();
    await this.queue.stop();
    await this.file.close();
    await this.webhookStore.stop();
  }

  /**
   * Re-reads the organisation's webhooks from their store. On a cluster each
   * owner sends its homes' notifications with the list it holds, read at
   * start; a webhook created, changed or deleted through another node reaches
   * this one only through this call (the store has no change feed yet).
   */
  reloadWebhooks(): Promise<void> {
    return this.webhookStore.start();
  }

  /** Contacts may have their own webhookUrl only when there is a secret to sign with. */
  get contactWebhooksAllowed(): boolean {
    return this.deps.defaultSecret !== undefined;
  }

  get stats(): DeliveryStats {
    return this.queue.stats;
  }

  /** Resolves once the delivery log has everything so far written (tests, shutdown). */
  flushLog(): Promise<void> {
    return this.file.drain();
  }

  /**
   * A kill -9 between "alert on disk" and "delivery queued" would lose that
   * notification. At start, every alert event of the last hour (the retry
   * window) is offered to the queue again; the queue's per-(event, alert,
   * target) key drops the ones it already has, so nothing is sent twice.
   */
  private catchUp(ofPartitions?: ReadonlySet<number>): void {
    const since = this.deps.clock.now() - CATCH_UP_MS;
    const recent = (at: string | undefined) => at !== undefined && Date.parse(at) >= since;
    for (const alert of this.deps.recentAlerts?.() ?? []) {
      if (ofPartitions && !ofPartitions.has(partitionOf(alert.homeId || undefined))) continue;
      if (recent(alert.raisedAt)) this.onAlertEvent('alert.raised', alert);
      const escalatedAt = alert.timeline.find((e) => e.type === 'escalated')?.at;
      if (recent(escalatedAt)) this.onAlertEvent('alert.escalated', alert);
      if (alert.status === 'resolved' && recent(alert.resolvedAt)) this.onAlertEvent('alert.resolved', alert);
    }
  }

  // ── from the bus: pick targets and queue, nothing more ──────────────────

  private onAlertEvent(event: NotifyEvent, alert: Alert): void {
    // Another node's home: its owner sends (the queue would refuse it too; this spares picking the targets).
    if (!this.queue.actsFor(partitionOf(alert.homeId || undefined))) return;
    const home = this.deps.registry.getHome(alert.homeId);
    const resident = this.aboutWhom(alert, home);
    const planned = selectTargets({ event, alert, home, resident, webhooks: this.webhookStore.list(), now: this.deps.clock.now(), timezone: this.deps.timezone });
    if (planned.length === 0) return;
    const snapshot = snapshotAlert(alert, home, resident);
    for (const p of planned) {
      this.queue.enqueue({ key: p.key, event, alertId: alert.id, severity: alert.severity, target: p.target, alert: snapshot, contact: p.contact, notBefore: p.notBefore });
    }
  }

  /**
   * Whom a notice is about: the resident the alert names; for a shared
   * device's alarm in a couple's home (issue 13 item 12), the household —
   * both names, and every resident's contacts, each phone once.
   */
  private aboutWhom(alert: Alert, home: HomeRecord | undefined): ResidentRecord | undefined {
    if (alert.residentId !== undefined) return this.deps.registry.getResident(alert.residentId);
    const household = home ? this.deps.registry.listResidents(home.id) : [];
    if (household.length <= 1) return household[0] ?? (home ? this.deps.registry.getResident(home.residentId) : undefined);
    const phones = new Set<string>();
    const contacts = household.flatMap((r) => r.contacts).filter((c) => !phones.has(c.phone) && Boolean(phones.add(c.phone)));
    return { ...household[0]!, name: household.map((r) => r.name).join(' & '), contacts };
  }

  // ── one attempt: the target's URL and secret are looked up now ─────────

  private attempt(delivery: DeliveryRecord, attempt: number, signal: AbortSignal): Promise<SendResult> {
    let url: string;
    let secret: string | undefined;
    if (delivery.target.type === 'webhook') {
      const webhook = this.webhookStore.get(delivery.target.webhookId);
      if (!webhook) return Promise.resolve({ kind: 'unsendable', error: 'webhook deleted' });
      if (!webhook.enabled) return Promise.resolve({ kind: 'unsendable', error: 'webhook disabled' });
      url = webhook.url;
      secret = webhook.secret;
    } else {
      url = delivery.target.url;
      secret = this.deps.defaultSecret;
      if (secret === undefined) return Promise.resolve({ kind: 'unsendable', error: 'not signed: HUB_WEBHOOK_SECRET is not set on the hub' });
    }
    // Checked at every attempt too: the list may have changed since the URL was configured.
    const refused = hostRefusal(url, this.deps.allowedHosts);
    if (refused) return Promise.resolve({ kind: 'unsendable', error: refused });
    const sentAt = this.deps.clock.now();
    const body = webhookBody({ event: delivery.event, alert: delivery.alert, contact: delivery.contact, deliveryId: delivery.id, attempt, sentAt });
    const headers = webhookHeaders({ secret, body, deliveryId: delivery.id, sentAt });
    return this.post({ url, headers, body }, signal, () => this.deps.clock.now());
  }

  // ── the API ─────────────────────────────────────────────────────────────

  deliveries(filter: DeliveryFilter): DeliveryView[] {
    return this.queue.list(filter).map((d) => this.view(d));
  }

  listWebhooks(): OrgWebhookView[] {
    return this.webhookStore.list().map(webhookView);
  }

  /**
   * Throws a 400 naming `field` when the URL's host is not allowed, or is an
   * address (or `localhost`) the guard refuses. Names are resolved and checked
   * again at every send.
   */
  checkUrl(url: string, field: string): void {
    const parsed = URL.parse(url);
    const refused = hostRefusal(url, this.deps.allowedHosts) ?? (parsed ? literalRefusal(parsed, this.guard) : 'not a URL');
    if (refused) throw new DomainError('invalid', `${field}: ${refused}`);
  }

  async createWebhook(input: NewWebhook, actor: string): Promise<OrgWebhookView> {
    this.checkUrl(input.url, 'url');
    const webhook = await this.webhookStore.create(input);
    this.deps.audit.record('notify.webhook_created', actor, webhook.id, { name: webhook.name, url: displayUrl(webhook.url), severities: webhook.severities, enabled: webhook.enabled });
    return webhookView(webhook);
  }

  async updateWebhook(id: string, change: Partial<NewWebhook>, actor: string): Promise<OrgWebhookView> {
    if (change.url !== undefined) this.checkUrl(change.url, 'url');
    const webhook = await this.webhookStore.update(id, change);
    const { secret, url, ...rest } = change;
    // Never the secret itself, in the audit or anywhere else: only that it changed.
    this.deps.audit.record('notify.webhook_updated', actor, id, { ...rest, ...(url !== undefined ? { url: displayUrl(url) } : {}), ...(secret !== undefined ? { secretChanged: true } : {}) });
    return webhookView(webhook);
  }

  /**
   * A test send (issue 13): one `webhook.test` delivery with a made-up alert,
   * queued like any notification, so it is signed, retried and logged with
   * every attempt exactly as a real one would be. A disabled webhook is
   * refused rather than queued to fail: the admin should enable it first.
   */
  testWebhook(id: string, actor: string): DeliveryView {
    const webhook = this.webhookStore.get(id);
    if (!webhook) throw notFound('webhook', id);
    if (!webhook.enabled) throw conflict(`webhook ${webhook.name} is disabled: enable it to test it`);
    const now = this.deps.clock.now();
    const alertId = `test-${now.toString(36)}-${randomBytes(3).toString('hex')}`;
    const alert = { id: alertId, kind: 'test', severity: 'low' as const, title: 'Test notification from the home-care hub', status: 'resolved' as const, raisedAt: iso(now), homeId: '', homeName: '', address: '', residentName: '' };
    const target = { type: 'webhook' as const, webhookId: webhook.id, name: webhook.name };
    // A fresh id per press: each test is its own delivery, never deduplicated away.
    const queued = this.queue.enqueue({ key: `${alertId}:webhook.test:wh:${id}`, event: 'webhook.test', alertId, severity: 'low', target, alert, notBefore: now });
    if (!queued) throw new DomainError('unavailable', 'the notification queue is full of alert deliveries: try again later');
    this.deps.audit.record('notify.webhook_tested', actor, id, { name: webhook.name, deliveryId: queued.record.id });
    return this.view(queued);
  }

  async deleteWebhook(id: string, actor: string): Promise<void> {
    const webhook = await this.webhookStore.remove(id);
    this.deps.audit.record('notify.webhook_deleted', actor, id, { name: webhook.name });
  }

  private view(d: Delivery): DeliveryView {
    const { record } = d;
    const target =
      record.target.type === 'webhook'
        ? { type: 'webhook' as const, name: record.target.name, webhookId: record.target.webhookId, url: urlOrNull(this.webhookStore.get(record.target.webhookId)?.url) }
        : { type: 'contact' as const, name: record.target.name, url: displayUrl(record.target.url) };
    return {
      deliveryId: record.id,
      alertId: record.alertId,
      event: record.event,
      severity: record.severity,
      target,
      ...(record.contact ? { contact: record.contact } : {}),
      status: d.status,
      createdAt: iso(record.createdAt),
      nextAttemptAt: d.status === 'pending' ? iso(d.nextAt) : null,
      ...(d.droppedReason ? { droppedReason: d.droppedReason } : {}),
      attempts: d.attempts.map((a) => ({
        attempt: a.attempt,
        at: iso(a.at),
        outcome: a.outcome,
        ...(a.statusCode !== undefined ? { statusCode: a.statusCode } : {}),
        ...(a.error !== undefined ? { error: a.error } : {}),
        ...(a.nextAttemptAt !== undefined ? { nextAttemptAt: iso(a.nextAttemptAt) } : {}),
      })),
    };
  }
}

function urlOrNull(url: string | undefined): string | null {
  return url === undefined ? null : displayUrl(url);
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
