/**
 * One HTTP request passed from a follower to the leader, on Node's own HTTP
 * client, streamed both ways with backpressure (stream.pipeline): an upload
 * holds only the chunks in flight here, never the body (measured: peak RSS
 * +2-17 MB for 100-300 MB uploads, tests/leader-proxy-memory.test.ts), and
 * the leader's body limits decide. The one exception: the first 16 KiB of
 * the three writes that name their home in their body, which the front has
 * already read to route them (held-body.ts), are sent from memory first.
 *
 * Not hono's `proxy` helper: it sends through fetch, and fetch treats Host as
 * a forbidden header, so Node's fetch replaces it with the leader's address.
 * The leader's CSRF check and the stream's Origin check compare Origin with
 * Host; both must be what the browser sent to this node. Node's client sends
 * the request's own headers (`setHost: false`), in their order, duplicates
 * and case kept, and hands back the leader's raw response headers (each
 * Set-Cookie its own line).
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '../core/logger.js';
import { FORWARDED_BY_HEADER, forwardedHeaders } from './forwarded-headers.js';
import { LEADER_UNREACHABLE, RETRY_AFTER_SECONDS, type ClusterRefusal } from './leader-unavailable.js';
import { serverName, type LeaderAddress } from './leader-url.js';
import type { HeldBody } from './held-body.js';

/**
 * Headers of one hop only (RFC 9110 §7.6.1), never passed on; plus Expect,
 * which Node's server has already answered (100 Continue) for this hop.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);
/** Set by this node itself: a client's own values are replaced (X-Forwarded-For is extended). */
const REPLACED = new Set(['x-forwarded-for', 'x-forwarded-proto', FORWARDED_BY_HEADER]);
/** A body sent from memory carries its own length. */
const REPLACED_WITH_LENGTH = new Set([...REPLACED, 'content-length']);

export interface ForwardOptions {
  nodeId: string;
  log: Logger;
  /** Kept-alive connections to the leader, one pool per front. */
  agents: { http: HttpAgent; https: HttpsAgent };
  leaderTls?: ConnectionOptions | undefined;
  /** The leader must begin its answer within this. */
  responseTimeoutMs: number;
  /** The answer when the node passed to does not answer: the leader's 502 unless said (an owner's, owner-router.ts). */
  unreachable?: ClusterRefusal | undefined;
  /** Holds the leader's answer back until this settles (a replica waiting for the answer's journal line, replica-reads.ts). */
  beforeAnswer?: ((req: IncomingMessage, answer: IncomingMessage) => Promise<void> | undefined) | undefined;
}

export function createAgents(): ForwardOptions['agents'] {
  return { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
}

/**
 * `held`: the body the front already read to find the request's home
 * (held-body.ts): sent first, with its own Content-Length when it is the
 * whole body, else followed by the rest of the request, streamed as above.
 */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, leader: LeaderAddress, options: ForwardOptions, held?: HeldBody): void {
  const bodyless = !held && !hasBody(req);
  // Nothing to pass on; read the (empty) request to its end so the client's connection stays usable.
  if (bodyless) req.resume();
  let current: ClientRequest | undefined;
  const attempt = (mayRetry: boolean): void => {
    const upstream = (current = sendUpstream(req, leader, options, bodyless, held?.complete ? held.bytes.length : undefined));
    // Counted from the end of the upload (a slow client's upload is the listener's requestTimeout's business).
    let late: NodeJS.Timeout | undefined;
    upstream.once('finish', () => (late = setTimeout(() => upstream.destroy(new Error('the leader did not answer in time')), options.responseTimeoutMs)));
    upstream.on('response', (answer) => {
      clearTimeout(late);
      const held = options.beforeAnswer?.(req, answer);
      if (held) void held.then(() => passAnswer(answer));
      else passAnswer(answer);
    });
    const passAnswer = (answer: IncomingMessage): void => {
      // Refused meanwhile (the leader's connection failed while the answer was held), or the client left.
      if (res.headersSent || res.destroyed) return void answer.destroy();
      const headers = responseHeaders(answer.rawHeaders);
      // The leader answered before the client's upload ended (a 413 for a body over its limit): the
      // rest of the body is never read here, so this connection cannot carry another request. Said
      // to the client, which then opens a new one; reused, it was reset seconds later (keep-alive).
      if (!req.complete) headers.push('Connection', 'close');
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      // A leader that fails mid-answer ends the client's response the same way (destroyed, not completed).
      pipeline(answer, res, () => undefined);
    };
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(late);
      if (upstream !== current) return; // a late word from the attempt that was replaced
      if (res.headersSent || res.destroyed) return void res.destroy();
      if (mayRetry && upstream.reusedSocket && STALE_SOCKET.has(err.code ?? '')) return attempt(false);
      const refusal = options.unreachable ?? LEADER_UNREACHABLE;
      options.log.warn({ target: leader.origin, code: refusal.body.error.code, reason: err.message }, 'the node passed to is unreachable for a request');
      refuseRequest(res, refusal);
    });
    // The client gone before the answer ended: nobody reads the rest.
    res.once('close', () => {
      clearTimeout(late);
      if (!res.writableFinished) upstream.destroy();
    });
    if (bodyless) upstream.end();
    else if (held?.complete) upstream.end(held.bytes);
    else {
      if (held && held.bytes.length > 0) upstream.write(held.bytes);
      pipeline(req, upstream, () => undefined);
    }
  };
  // A kept-alive connection can turn out to have been closed by the leader meanwhile (Node's
  // documented race: the leader closes an idle connection, or ends one after an answer, e.g. after
  // a 413, as the agent hands it out). A request without a body is then sent again, once; one with
  // a body cannot be (its bytes are gone), so it never takes a kept-alive connection: writes are
  // few, and a new connection costs a handshake on the cluster's network.
  attempt(bodyless);
}

/** What Node's client reports for a kept-alive connection the leader had already closed. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** `length`: the body is sent whole from memory, with this Content-Length (a chunked upload's too). */
function sendUpstream(req: IncomingMessage, leader: LeaderAddress, options: ForwardOptions, pooled: boolean, length: number | undefined): ClientRequest {
  const send = leader.tls ? httpsRequest : httpRequest;
  const headers = requestHeaders(req, options.nodeId, length);
  return send({
    host: leader.host,
    port: leader.port,
    method: req.method,
    path: req.url,
    // Without an agent Node would ask for `Connection: close`, and the leader would then close at once
    // after an early answer (a 413) with the upload unread: a reset that loses the answer (body-limit.ts).
    headers: (pooled ? headers : [...headers, 'Connection', 'keep-alive']) as unknown as OutgoingHttpHeaders,
    setHost: false,
    agent: !pooled ? false : leader.tls ? options.agents.https : options.agents.http,
    ...(leader.tls ? { ...serverName(leader.host), ...options.leaderTls } : {}),
  });
}

/** A refusal in the API's error shape, on a plain Node response; retry later. */
export function refuseRequest(res: ServerResponse, refusal: ClusterRefusal): void {
  sendJson(res, refusal.status, refusal.body, { 'retry-after': String(RETRY_AFTER_SECONDS), 'cache-control': 'no-store' });
}

export function sendJson(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(json);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The client's headers as they came (rawHeaders: order, case, duplicates), less this hop's, plus the forwarded ones (and `length`, when given). */
function requestHeaders(req: IncomingMessage, nodeId: string, length?: number): string[] {
  const out = withoutHopByHop(req.rawHeaders, length === undefined ? REPLACED : REPLACED_WITH_LENGTH);
  if (length !== undefined) out.push('Content-Length', String(length));
  for (const [name, value] of Object.entries(forwardedHeaders(req.socket as Socket, req.headers['x-forwarded-for'], nodeId))) out.push(name, value);
  return out;
}

function responseHeaders(raw: readonly string[]): string[] {
  return withoutHopByHop(raw, new Set());
}

/** Drops hop-by-hop headers, those the Connection header names, and `also`, from a flat raw header list. */
function withoutHopByHop(raw: readonly string[], also: ReadonlySet<string>): string[] {
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') for (const token of raw[i + 1]!.split(',')) named.add(token.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !named.has(name) && !also.has(name)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
