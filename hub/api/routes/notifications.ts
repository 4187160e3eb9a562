/**
 * Notifications (issue 5): the delivery log for the call centre, and the
 * organisation's outbound webhooks for admins. Webhook secrets are write-only:
 * accepted on create and update, never returned (`hasSecret` instead), never
 * audited or logged. See docs/NOTIFICATIONS.md.
 */
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { SEVERITIES } from '../../alerts/alert.js';
import type { NotifyService } from '../../notify/notify-service.js';
import { DELIVERY_STATUSES, NOTIFY_EVENTS } from '../../notify/types.js';
import { webhookUrlSchema } from '../../registry/webhook-url.js';
import type { ApiEnv } from '../auth-middleware.js';
import { HttpError } from '../errors.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { actorOf } from '../auth-middleware.js';

const iso = z.string().describe('ISO 8601 date-time (UTC)');
const severities = z.array(z.enum(SEVERITIES)).min(1, 'name at least one severity').max(SEVERITIES.length);

const Webhook = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    severities: z.array(z.enum(SEVERITIES)),
    enabled: z.boolean(),
    hasSecret: z.boolean().describe('the secret itself is never returned'),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'Webhook' });

const Delivery = z
  .looseObject({
    deliveryId: z.string(),
    alertId: z.string(),
    event: z.enum(NOTIFY_EVENTS),
    severity: z.enum(SEVERITIES),
    target: z.looseObject({ type: z.enum(['webhook', 'contact']), name: z.string(), webhookId: z.string().optional(), url: z.string().nullable().describe('origin and path only') }),
    contact: z.object({ name: z.string(), phone: z.string() }).optional(),
    status: z.enum(DELIVERY_STATUSES),
    createdAt: iso,
    nextAttemptAt: iso.nullable(),
    droppedReason: z.string().optional(),
    attempts: z.array(
      z.looseObject({
        attempt: z.number().int(),
        at: iso,
        outcome: z.enum(['sent', 'failed', 'gave_up']),
        statusCode: z.number().int().optional(),
        error: z.string().optional(),
        nextAttemptAt: iso.optional(),
      }),
    ),
  })
  .meta({ id: 'NotificationDelivery' });

const webhookFields = {
  name: z.string().trim().min(1).max(100),
  url: webhookUrlSchema,
  secret: z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 32)').max(500).describe('HMAC-SHA256 key; write-only'),
  severities: severities.describe('alert severities sent to this webhook'),
  enabled: z.boolean(),
};
const WebhookIdParam = z.object({ webhookId: z.string().max(100) });
const admins = ['admin'] as const;

const routes = {
  deliveries: defineRoute({
    method: 'get',
    path: '/deliveries',
    roles: ['admin', 'supervisor', 'operator'],
    summary: 'The delivery log: every notification with each attempt (outcome, status code or error), newest first',
    request: {
      query: z.object({
        alertId: z.string().max(100).optional(),
        status: z.enum(DELIVERY_STATUSES).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      }),
    },
    responses: {
      200: jsonResponse(
        z.object({
          deliveries: z.array(Delivery),
          stats: z.looseObject({ pending: z.number().int(), inFlight: z.number().int(), sent: z.number().int(), failedAttempts: z.number().int(), gaveUp: z.number().int(), dropped: z.number().int() }),
        }),
        'deliveries',
      ),
    },
  }),
  listWebhooks: defineRoute({
    method: 'get',
    path: '/webhooks',
    roles: admins,
    summary: "The organisation's outbound webhooks (secrets are never returned)",
    responses: { 200: jsonResponse(z.object({ webhooks: z.array(Webhook) }), 'webhooks') },
  }),
  createWebhook: defineRoute({
    method: 'post',
    path: '/webhooks',
    roles: admins,
    summary: 'Add an outbound webhook (SMS / WeChat / voice gateway)',
    request: {
      body: jsonRequest(
        z.object({ ...webhookFields, severities: webhookFields.severities.default(['critical', 'high']), enabled: webhookFields.enabled.default(true) }),
      ),
    },
    responses: { 201: jsonResponse(Webhook, 'the new webhook') },
  }),
  updateWebhook: defineRoute({
    method: 'patch',
    path: '/webhooks/{webhookId}',
    roles: admins,
    summary: 'Change a webhook: name, URL, severities, enabled, or rotate its secret',
    request: { params: WebhookIdParam, body: jsonRequest(z.object(webhookFields).partial().strict()) },
    responses: { 200: jsonResponse(Webhook, 'the webhook') },
  }),
  testWebhook: defineRoute({
    method: 'post',
    path: '/webhooks/{webhookId}/test',
    roles: admins,
    summary: 'Send a signed `webhook.test` notification now; it is retried and logged like any delivery (202: queued)',
    request: { params: WebhookIdParam, body: jsonRequest(z.object({}).strict()) },
    responses: { 202: jsonResponse(Delivery, 'the test delivery, queued; follow it in GET /notifications/deliveries') },
  }),
  deleteWebhook: defineRoute({
    method: 'delete',
    path: '/webhooks/{webhookId}',
    roles: admins,
    summary: 'Remove a webhook; its pending deliveries are given up',
    request: { params: WebhookIdParam },
    responses: { 204: { description: 'removed' } },
  }),
};

export function notificationsRoutes(deps: { notifications: NotifyService }) {
  const app = newRouter();
  const service = deps.notifications;

  app.openapi(routes.deliveries, (c) => {
    const q = c.req.valid('query');
    return c.json({ deliveries: service.deliveries(q), stats: service.stats }, 200);
  });

  app.openapi(routes.listWebhooks, (c) => c.json({ webhooks: service.listWebhooks() }, 200));

  app.openapi(routes.createWebhook, async (c) => c.json(await service.createWebhook(c.req.valid('json'), actorOf(c)), 201));

  app.openapi(routes.updateWebhook, async (c) => {
    const change = c.req.valid('json');
    return c.json(await service.updateWebhook(c.req.valid('param').webhookId, change, actorOf(c)), 200);
  });

  app.openapi(routes.testWebhook, (c) => c.json(service.testWebhook(c.req.valid('param').webhookId, actorOf(c)), 202));

  app.openapi(routes.deleteWebhook, async (c) => {
    await service.deleteWebhook(c.req.valid('param').webhookId, actorOf(c));
    return c.body(null, 204);
  });

  return app;
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\b/i;

/**
 * A contact's own `notify.webhookUrl` is signed with HUB_WEBHOOK_SECRET; when
 * the hub has none, any request that sets one (creating a home, editing
 * contacts — whatever the route) is refused with a 400 naming the field,
 * before the route stores anything.
 */
export function contactWebhookGuard(notify: Pick<NotifyService, 'contactWebhooksAllowed' | 'checkUrl'>): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const method = c.req.method;
    if ((method !== 'POST' && method !== 'PUT' && method !== 'PATCH') || !JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      return next();
    }
    let body: unknown;
    try {
      body = await c.req.json(); // cached: the route's validator reads the same parse
    } catch {
      return next(); // the route reports the bad JSON
    }
    const found = contactWebhooks(body);
    if (found.length === 0) return next();
    if (!notify.contactWebhooksAllowed) {
      const message = 'a contact webhook needs HUB_WEBHOOK_SECRET set on the hub (it signs them); set it, or leave out webhookUrl to notify this contact through the organisation webhooks';
      throw new HttpError(400, 'invalid_body', `invalid body: ${found[0]!.path}: ${message}`, found.map(({ path }) => ({ path, message })));
    }
    for (const { path, url } of found) if (typeof url === 'string') notify.checkUrl(url, path);
    return next();
  };
}

/** Where in a request body a `notify.webhookUrl` is set, and to what. */
export function contactWebhooks(value: unknown): { path: string; url: unknown }[] {
  return contactWebhookPaths(value).map((path) => ({ path, url: path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value) }));
}

/** Where in a request body a `notify.webhookUrl` is set (e.g. `resident.contacts.0.notify.webhookUrl`). */
export function contactWebhookPaths(value: unknown, path: string[] = [], depth = 0): string[] {
  if (depth > 8 || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => contactWebhookPaths(item, [...path, String(i)], depth + 1));
  const found: string[] = [];
  const notify = (value as { notify?: unknown }).notify;
  if (notify && typeof notify === 'object' && (notify as { webhookUrl?: unknown }).webhookUrl !== undefined) found.push([...path, 'notify', 'webhookUrl'].join('.'));
  for (const [key, child] of Object.entries(value)) {
    if (key !== 'notify') found.push(...contactWebhookPaths(child, [...path, key], depth + 1));
  }
  return found;
}
