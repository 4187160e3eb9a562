/**
 * The two answers a supervisor (systemd, a load balancer, Prometheus) asks
 * of a node (issue 12 item 6):
 * - GET /api/v1/health, public: 200 or 503 with the reason, node id,
 *   partitions, peers, database, Redis, pipeline heartbeat (hub/ops/health-report.ts);
 * - GET /metrics, the Prometheus text format, outside /api/v1 where scrapers
 *   expect it. It tells an outsider how busy the site is and whether it is
 *   failing, so it is not public: with HUB_METRICS_TOKEN set, only a request
 *   bearing that token (from any address); without it, only loopback clients
 *   (Prometheus or an agent on the same machine). The peer address is the
 *   socket's, never X-Forwarded-For: behind a reverse proxy on the same
 *   machine every request looks local, so set the token there (docs/DEPLOY.md).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4 } from 'node:net';
import type { Context } from 'hono';
import { z } from 'zod';
import type { HealthReport, MetricsEndpoint } from '../../ops/health-report.js';
import { errorResponse, HttpError } from '../errors.js';
import { definePublicRoute, jsonResponse } from '../openapi-route.js';

export const healthRoute = definePublicRoute({
  method: 'get',
  path: '/health',
  summary: 'Can this node take alarms? 503 with the reason when the journal cannot write or the pipeline heartbeat is stalled',
  responses: {
    200: jsonResponse(z.looseObject({ ok: z.boolean(), node: z.looseObject({ id: z.string() }) }), 'healthy: node id, partitions, peers, database, Redis, pipeline'),
    503: jsonResponse(z.looseObject({ ok: z.boolean(), reason: z.string() }), 'unhealthy: alarms are refused or not getting through; `reason` says why'),
  },
});

export const healthStatus = (report: HealthReport) => (report.ok ? 200 : 503);

export type { MetricsEndpoint };

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');

export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return loopback.check(v4, 'ipv4');
  // IPv6 loopback is one address; the block list is only needed for 127/8.
  return address === '::1';
}

/** Who may read /metrics: undefined to allow, or the refusal. */
export function metricsRefusal(token: string | undefined, remoteAddress: string, authorization: string | undefined): HttpError | undefined {
  if (token === undefined) {
    if (isLoopback(remoteAddress)) return undefined;
    return new HttpError(403, 'metrics_forbidden', '/metrics answers loopback clients only; set HUB_METRICS_TOKEN to scrape from another host');
  }
  const given = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
  // Digests: equal lengths for timingSafeEqual, and the comparison time says nothing about the token.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (given !== undefined && timingSafeEqual(digest(given), digest(token))) return undefined;
  return new HttpError(401, 'unauthorized', 'send Authorization: Bearer <HUB_METRICS_TOKEN>');
}

export function metricsHandler(metrics: MetricsEndpoint, token: string | undefined, remoteAddress: (c: Context) => string) {
  return async (c: Context) => {
    const refused = metricsRefusal(token, remoteAddress(c), c.req.header('authorization'));
    if (refused) {
      if (refused.status === 401) c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return errorResponse(c, refused);
    }
    const { body, contentType } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  };
}
