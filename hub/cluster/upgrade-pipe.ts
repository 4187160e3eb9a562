/**
 * A follower's WebSocket upgrades (the console's /api/v1/stream) passed to
 * the leader as a transparent byte pipe (issue 12 item 4). The follower does
 * not speak WebSocket at all: it checks the request-target as the stream
 * server does, opens a TCP (or TLS) connection to the leader, writes the
 * request head it received (plus the forwarded headers), then copies bytes
 * both ways. The leader authenticates, checks Origin against Host, answers
 * 101 or a refusal, and sends the snapshot or what was missed since
 * `lastEventId`; the follower sees none of it.
 *
 * When either side ends, the other is ended; when either fails, both are
 * destroyed. So a leader that dies closes the console's socket, and the
 * console reconnects (to any node) and resumes with its lastEventId.
 *
 * Fails closed per request like hub/realtime/stream-server.ts (issue 10 item
 * 1): every input ends in an HTTP refusal or the pipe, nothing throws out of
 * the 'upgrade' event.
 */
import type { IncomingMessage } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import type { Logger } from '../core/logger.js';
import { STREAM_PATH } from '../realtime/stream-server.js';
import { refuseUpgrade, requestTarget } from '../realtime/upgrade-request.js';
import { FORWARDED_BY_HEADER, forwardedHeaders } from './forwarded-headers.js';
import { FORWARDING_LOOP, LEADER_UNREACHABLE, NO_LEADER, type ClusterRefusal } from './leader-unavailable.js';
import { parseLeaderUrl, serverName, type LeaderAddress } from './leader-url.js';

/** Connecting to the leader takes a round trip on the cluster's network; longer means it is gone. */
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** After one side ended, the other gets this long to finish (a close frame in flight) before it is destroyed. */
const FLUSH_MS = 5_000;
/** The headers this node sets itself; a client's own values are replaced (X-Forwarded-For is extended). */
const REPLACED = new Set(['x-forwarded-for', 'x-forwarded-proto', FORWARDED_BY_HEADER]);

export interface UpgradePipeDeps {
  nodeId: string;
  leaderUrl(): string | undefined;
  log: Logger;
  /** For an https leader: e.g. the `ca` that signed its certificate. */
  leaderTls?: ConnectionOptions;
  connectTimeoutMs?: number;
}

interface Pipe {
  leaderOrigin: string;
  client: Duplex;
  upstream: Socket;
}

export class UpgradePipes {
  private readonly pipes = new Set<Pipe>();

  constructor(private readonly deps: UpgradePipeDeps) {}

  /** Pipes open now (for tests and /metrics). */
  get open(): number {
    return this.pipes.size;
  }

  /** The server's 'upgrade' listener. */
  handle(req: IncomingMessage, client: Duplex, head: Buffer): void {
    // Node stops listening for errors on a socket it hands to 'upgrade' (see stream-server.ts).
    client.on('error', () => client.destroy());
    try {
      this.start(req, client, head);
    } catch (err) {
      this.deps.log.error({ err, url: req.url?.slice(0, 200) }, 'stream upgrade to the leader failed');
      refuseUpgrade(client, 500, 'Internal Server Error');
    }
  }

  /** Closes the pipes that lead anywhere but the current leader (call when cluster_leader changes). */
  closeStale(): void {
    const current = parseLeaderUrl(this.deps.leaderUrl())?.origin;
    for (const pipe of this.pipes) if (pipe.leaderOrigin !== current) destroyBoth(pipe);
  }

  closeAll(): void {
    for (const pipe of this.pipes) destroyBoth(pipe);
    this.pipes.clear();
  }

  private start(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const url = requestTarget(req.url);
    if (!url) return refuseUpgrade(client, 400, 'Bad Request');
    if (url.pathname !== STREAM_PATH) return refuseUpgrade(client, 404, 'Not Found');
    if (req.headers[FORWARDED_BY_HEADER] !== undefined) return refuse(client, FORWARDING_LOOP);
    const leader = parseLeaderUrl(this.deps.leaderUrl());
    if (!leader) return refuse(client, NO_LEADER);
    // Whatever the client sends before the leader is reached waits in the socket, not in a listener-less 'data'.
    client.pause();
    const upstream = this.connect(leader);
    const pipe: Pipe = { leaderOrigin: leader.origin, client, upstream };
    let failed = false;
    const failedToConnect = (err: Error) => {
      if (failed) return;
      failed = true;
      this.deps.log.warn({ leader: leader.origin, reason: err.message }, 'leader unreachable for a stream upgrade');
      upstream.destroy();
      refuse(client, LEADER_UNREACHABLE);
    };
    upstream.setTimeout(this.deps.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, () => failedToConnect(new Error('connect timed out')));
    upstream.on('error', failedToConnect);
    // The client may give up while we connect.
    const gaveUp = () => upstream.destroy();
    client.once('close', gaveUp);
    upstream.once(leader.tls ? 'secureConnect' : 'connect', () => {
      upstream.setTimeout(0);
      upstream.off('error', failedToConnect);
      client.off('close', gaveUp);
      if (client.destroyed) return void upstream.destroy();
      upstream.write(requestHead(req, client as Socket, this.deps.nodeId));
      if (head.length > 0) upstream.write(head);
      this.join(pipe);
    });
  }

  private connect(leader: LeaderAddress): Socket {
    if (!leader.tls) return connectTcp({ host: leader.host, port: leader.port });
    return connectTls({ host: leader.host, port: leader.port, ...serverName(leader.host), ...this.deps.leaderTls });
  }

  /** Bytes both ways; an end is passed on, an error or a close ends the pair. */
  private join(pipe: Pipe): void {
    const { client, upstream } = pipe;
    this.pipes.add(pipe);
    client.pipe(upstream);
    upstream.pipe(client);
    const closed = (other: Duplex) => () => {
      this.pipes.delete(pipe);
      other.end();
      // A peer that never finishes its side must not hold the socket for ever.
      if (!other.destroyed) (other as Socket).setTimeout?.(FLUSH_MS, () => other.destroy());
    };
    client.once('close', closed(upstream));
    upstream.once('close', closed(client));
    const failed = () => {
      this.pipes.delete(pipe);
      destroyBoth(pipe);
    };
    client.on('error', failed);
    upstream.on('error', failed);
  }
}

function refuse(client: Duplex, refusal: ClusterRefusal): void {
  refuseUpgrade(client, refusal.status, refusal.text, refusal.body);
}

function destroyBoth(pipe: Pipe): void {
  pipe.client.destroy();
  pipe.upstream.destroy();
}

/**
 * The request head as received, plus the forwarded headers. Node's parser has
 * already refused CR, LF and NUL in the request line and the headers, so they
 * can be written back as they came; latin1, because that is how Node decoded
 * any byte above 0x7f (obs-text) and writing them as UTF-8 would change them.
 */
function requestHead(req: IncomingMessage, client: Socket, nodeId: string): Buffer {
  const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (!REPLACED.has(raw[i]!.toLowerCase())) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  for (const [name, value] of Object.entries(forwardedHeaders(client, req.headers['x-forwarded-for'], nodeId))) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
