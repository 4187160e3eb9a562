/**
 * A follower node's HTTP front (issue 12 item 4, CLUSTER-PLAN: one pipeline
 * owner, every node a front end). Consoles may connect to any node: the
 * follower answers `/api/v1/health` and `/metrics` itself (its own view: a
 * load balancer and Prometheus ask each node about itself) and passes every
 * other request to the leader named by cluster_leader, asked per request
 * (http-forward.ts). Sessions live in the leader's store, so a login through
 * any node is valid through every node; the stream is piped to the leader
 * (upgrade-pipe.ts), so it carries every event and resumes from lastEventId
 * on any node. No leader: 503; a leader that does not answer: 502; both in
 * the API's error shape with Retry-After.
 *
 * Wiring (hub/compose/http-listener.ts): the server's request listener is
 * `requestListener`, its 'upgrade' listener `handleUpgrade` (or `attach`),
 * in place of the API app and StreamServer.attach while this node follows.
 *
 * Owners (issue 12 step 3; optional `owners`, absent: all of the above as
 * before). A write for a home goes to the owner of the home's partition
 * (owner-router.ts, home-of-request.ts): this node's own API when it owns
 * it, else the owner's URL on the same forwarding code (the same headers,
 * streaming, 502 and loop protection, with the owner's words). The three
 * writes that name their home only in their JSON body are read first, up to
 * 16 KiB and 10 s (held-body.ts), and sent on with that body; one that cannot
 * be read so goes to the leader as it came, and a client that stops sending
 * is answered 408. The rest goes
 * where it went before: the leader, or this node's own API when it leads. A
 * request another node already passed here runs here only if this node
 * would run it itself; otherwise it is refused (503, retry), never passed on
 * again. A token this node does not hold (a login made on another node) is
 * asked of the store by the API's own session check (auth-middleware.ts).
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { getRequestListener } from '@hono/node-server';
import { Hono, type Handler } from 'hono';
import type { Logger } from '../core/logger.js';
import { FORWARDED_BY_HEADER } from './forwarded-headers.js';
import { createAgents, forwardRequest, refuseRequest, sendJson, type ForwardOptions } from './http-forward.js';
import { HOME_BODY_MAX_BYTES, HOME_BODY_TIMEOUT_MS, holdBody, mayHold, refuseSlowBody, replayed, type HeldBody, type HoldLimits } from './held-body.js';
import { bodyHomeRoute, routedPath, type BodyHomeRoute } from './home-of-request.js';
import { FORWARDING_LOOP, NO_LEADER } from './leader-unavailable.js';
import { parseLeaderUrl, type LeaderAddress } from './leader-url.js';
import { NO_OWNER, OWNER_MOVED, OWNER_UNREACHABLE, type OwnerRoute } from './owner-router.js';
import type { ReplicaReadCounts, ReplicaReads } from './replica-reads.js';
import { pathOf } from './request-path.js';
import { UpgradePipes } from './upgrade-pipe.js';

/** The paths a follower answers itself (where hub/api/app.ts serves them on the leader). */
export const LOCAL_HEALTH_PATH = '/api/v1/health';
export const LOCAL_METRICS_PATH = '/metrics';
/** The leader must begin its answer within this once the request is sent; a frozen leader otherwise holds every console request. */
const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;
/** How long a console's write waits for its home's partition to have an owner (a hand-over, a dead owner's) before a 503. */
const OWNER_WAIT_MS = 5_000;
const OWNER_POLL_MS = 100;
/** What Node's HTTP client throws at once for a request-target or header it will not send. */
const UNSENDABLE = new Set(['ERR_UNESCAPED_CHARACTERS', 'ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN', 'ERR_HTTP_INVALID_HEADER_VALUE']);

export interface LeaderProxyDeps {
  /** This node's id: marks what it forwarded, so two followers never pass a request back and forth. */
  nodeId: string;
  /** The leader's base URL (`http://10.0.0.5:8080`) from cluster_leader, read per request; undefined while there is none. */
  leaderUrl(): string | undefined;
  /** This node's own GET /api/v1/health (hono handler, e.g. the node's HealthReport as JSON). */
  health: Handler;
  /** This node's own GET /metrics (metricsHandler); absent: forwarded like the rest. */
  metrics?: Handler | undefined;
  log: Logger;
  /** For an https leader: e.g. the `ca` that signed its certificate. */
  leaderTls?: ConnectionOptions;
  responseTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Reads this node answers from its own copy of the journal (replica-reads.ts); absent: all forwarded. */
  replica?: ReplicaReads | undefined;
  /** Homes' writes to their owners (module comment); absent: everything to the leader, as before owners. */
  owners?: OwnerRouting | undefined;
  /** The bound and deadline of a body read for its home (held-body.ts); defaults 16 KiB, 10 s. */
  homeBody?: Partial<HoldLimits> | undefined;
}

export interface OwnerRouting {
  /** Where a request goes (ownerRouter, owner-router.ts); `path` carries a body's home as home-of-request.ts `routedPath` writes it. */
  route(method: string, path: string): OwnerRoute;
  /** This node's own API (the API app's request listener over this node's services). */
  local: (req: IncomingMessage, res: ServerResponse) => unknown;
  /**
   * Reads who owns what again (the directory, a second old at most): asked
   * once before a request is refused for want of an owner, since right
   * after a hand-over the read may still name this node.
   */
  refresh?: (() => Promise<void>) | undefined;
  /**
   * Before this node runs a home's write: makes sure it holds the registry
   * record the write names (home-of-request.ts registryRecordOfRequest,
   * RegistryCache.catchUp), which another node may have created a moment
   * ago. Undefined when there is nothing to wait for.
   */
  catchUp?: ((method: string, path: string) => Promise<void> | undefined) | undefined;
}

/** Requests this node ran itself or passed to an owner (tests, /metrics). */
export interface OwnerRouteCounts {
  local: number;
  toOwner: number;
  noOwner: number;
}

/** Bodies read for their home (held-body.ts): whole, cut at the bound (passed on as they came), or not in time (408). */
export interface HeldBodyCounts {
  whole: number;
  overBound: number;
  timedOut: number;
}

export class LeaderProxy {
  private readonly local: (req: IncomingMessage, res: ServerResponse) => unknown;
  private readonly localPaths: ReadonlySet<string>;
  private readonly pipes: UpgradePipes;
  private readonly forwarding: ForwardOptions;
  private readonly toOwners: ForwardOptions;
  private readonly bodyLimits: HoldLimits;
  readonly ownerCounts: OwnerRouteCounts = { local: 0, toOwner: 0, noOwner: 0 };
  readonly bodyCounts: HeldBodyCounts = { whole: 0, overBound: 0, timedOut: 0 };

  constructor(private readonly deps: LeaderProxyDeps) {
    const app = new Hono();
    app.get(LOCAL_HEALTH_PATH, deps.health);
    if (deps.metrics) app.get(LOCAL_METRICS_PATH, deps.metrics);
    this.local = getRequestListener(app.fetch);
    this.localPaths = new Set(deps.metrics ? [LOCAL_HEALTH_PATH, LOCAL_METRICS_PATH] : [LOCAL_HEALTH_PATH]);
    this.forwarding = {
      nodeId: deps.nodeId,
      log: deps.log,
      agents: createAgents(),
      leaderTls: deps.leaderTls,
      responseTimeoutMs: deps.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS,
      ...(deps.replica ? { beforeAnswer: deps.replica.beforeAnswer.bind(deps.replica) } : {}),
    };
    this.toOwners = { ...this.forwarding, unreachable: OWNER_UNREACHABLE };
    this.bodyLimits = { maxBytes: deps.homeBody?.maxBytes ?? HOME_BODY_MAX_BYTES, timeoutMs: deps.homeBody?.timeoutMs ?? HOME_BODY_TIMEOUT_MS };
    this.pipes = new UpgradePipes({
      nodeId: deps.nodeId,
      leaderUrl: deps.leaderUrl,
      log: deps.log,
      ...(deps.leaderTls ? { leaderTls: deps.leaderTls } : {}),
      ...(deps.connectTimeoutMs ? { connectTimeoutMs: deps.connectTimeoutMs } : {}),
    });
  }

  /** The server's request listener: this node's health and metrics, everything else to the leader (or, with owners, where it belongs). */
  readonly requestListener = (req: IncomingMessage, res: ServerResponse): void => {
    const path = pathOf(req.url);
    if ((req.method === 'GET' || req.method === 'HEAD') && this.localPaths.has(path)) return void this.local(req, res);
    const inBody = this.deps.owners ? bodyHomeRoute(req.method ?? '', path) : undefined;
    if (inBody && mayHold(req, this.bodyLimits.maxBytes)) return this.routeByBody(req, res, path, inBody);
    this.dispatch(req, res, path, undefined);
  };

  /**
   * A write naming its home in its body (home-of-request.ts): read first,
   * then routed by it, a forwarded one too (this node runs it only if it
   * owns the home it names). Cut at the bound: routed by its path, as before.
   */
  private routeByBody(req: IncomingMessage, res: ServerResponse, path: string, inBody: BodyHomeRoute): void {
    void holdBody(req, this.bodyLimits)
      .then((read) => {
        if (read === 'gone') return void res.destroy();
        if (read === 'timeout') {
          this.bodyCounts.timedOut += 1;
          return refuseSlowBody(res);
        }
        this.bodyCounts[read.complete ? 'whole' : 'overBound'] += 1;
        this.dispatch(req, res, read.complete ? routedPath(path, inBody, read.bytes) : path, read);
      })
      .catch((err: unknown) => this.refuseUnsendable(req, res, err));
  }

  /** Where the request goes by `path` (a body's home appended, routedPath); `held`: the body already read from it. */
  private dispatch(req: IncomingMessage, res: ServerResponse, path: string, held: HeldBody | undefined): void {
    const route = this.routeOf(req.method ?? '', path);
    if (req.headers[FORWARDED_BY_HEADER] !== undefined) {
      if (route === 'local') return this.runLocally(req, res, held, path);
      if (typeof route !== 'object') return refuseRequest(res, FORWARDING_LOOP);
      // Sent here as the home's owner: this node may be gaining it right now (its journal catching up); never passed on again.
      return void this.awaitOwning(req, res, path, held);
    }
    const replica = this.deps.replica;
    // Replicas answer reads; a held body is a write's.
    if (!held && replica?.wants(req)) return void replica.serve(req, res, () => this.forward(req, res, undefined));
    if (route === undefined || route === 'leader') return this.forward(req, res, held);
    if (route === 'local') return this.runLocally(req, res, held, path);
    this.toOwner(req, res, route, path, held, this.deps.owners?.refresh);
  }

  /**
   * To the home's owner, by the directory read afresh (its timed read can be
   * a second old, and a partition may have changed hands since): a write
   * costs one more read of partition_lease, and is not sent to a node that
   * gave the home up. While nobody holds the partition (a hand-over, a dead
   * owner's leases), asked again every OWNER_POLL_MS for up to OWNER_WAIT_MS
   * before the 503: the console waits a moment instead of failing.
   */
  private toOwner(req: IncomingMessage, res: ServerResponse, route: Exclude<OwnerRoute, 'local' | 'leader'>, path: string, held: HeldBody | undefined, refresh: (() => Promise<void>) | undefined): void {
    if (!refresh) return this.sendToOwner(req, res, route, held);
    void this.routeAfresh(req, res, path, held, refresh);
  }

  private async routeAfresh(req: IncomingMessage, res: ServerResponse, path: string, held: HeldBody | undefined, refresh: () => Promise<void>): Promise<void> {
    const until = Date.now() + OWNER_WAIT_MS;
    for (;;) {
      await refresh().catch(() => undefined);
      const route = this.routeOf(req.method ?? '', path);
      if (route === 'local') return this.runLocally(req, res, held, path);
      if (route === undefined || route === 'leader') return this.forward(req, res, held);
      if (route.owner !== undefined || Date.now() >= until || res.destroyed) return this.sendToOwner(req, res, route, held);
      await new Promise((resolve) => setTimeout(resolve, OWNER_POLL_MS));
    }
  }

  private sendToOwner(req: IncomingMessage, res: ServerResponse, route: Exclude<OwnerRoute, 'local' | 'leader'>, held: HeldBody | undefined): void {
    const owner = route.owner === undefined ? undefined : parseLeaderUrl(route.url);
    if (!owner) {
      this.ownerCounts.noOwner += 1;
      return refuseRequest(res, NO_OWNER);
    }
    this.ownerCounts.toOwner += 1;
    this.forwardTo(req, res, owner, this.toOwners, held);
  }

  /** A forwarded request for a home this node does not hold yet: run once it does (within OWNER_WAIT_MS), else refused as moved. */
  private async awaitOwning(req: IncomingMessage, res: ServerResponse, path: string, held: HeldBody | undefined): Promise<void> {
    const until = Date.now() + OWNER_WAIT_MS;
    while (Date.now() < until && !res.destroyed) {
      await new Promise((resolve) => setTimeout(resolve, OWNER_POLL_MS));
      if (this.routeOf(req.method ?? '', path) === 'local') return this.runLocally(req, res, held, path);
    }
    refuseRequest(res, OWNER_MOVED);
  }

  /** Where `owners` sends the request; undefined without it. A route that throws is the leader's (never the request's failure). */
  private routeOf(method: string, path: string): OwnerRoute | undefined {
    if (!this.deps.owners) return undefined;
    try {
      return this.deps.owners.route(method, path);
    } catch (err) {
      this.deps.log.error({ err, path: path.slice(0, 200) }, 'routing a request to its owner failed; the leader answers');
      return 'leader';
    }
  }

  /** This node's own API (a held body read again from memory), once this node holds the registry record the write names (OwnerRouting.catchUp). */
  private runLocally(req: IncomingMessage, res: ServerResponse, held: HeldBody | undefined, path: string): void {
    this.ownerCounts.local += 1;
    const owners = this.deps.owners!;
    const run = (): void => void owners.local(held ? replayed(req, held) : req, res);
    const caughtUp = owners.catchUp?.(req.method ?? '', path);
    if (!caughtUp) return run();
    caughtUp.then(run, run);
  }

  /** Passes the request to the leader: 503 when there is none. */
  private forward(req: IncomingMessage, res: ServerResponse, held: HeldBody | undefined): void {
    const leader = parseLeaderUrl(this.deps.leaderUrl());
    if (!leader) return refuseRequest(res, NO_LEADER);
    this.forwardTo(req, res, leader, this.forwarding, held);
  }

  private forwardTo(req: IncomingMessage, res: ServerResponse, target: LeaderAddress, options: ForwardOptions, held: HeldBody | undefined): void {
    try {
      forwardRequest(req, res, target, options, held);
    } catch (err) {
      this.refuseUnsendable(req, res, err);
    }
  }

  /** The server's 'upgrade' listener: WebSocket upgrades piped to the leader. */
  readonly handleUpgrade: UpgradePipes['handle'] = (req, socket, head) => this.pipes.handle(req, socket, head);

  attach(server: HttpServer | HttpsServer): void {
    server.on('upgrade', this.handleUpgrade);
  }

  /** The reads this node answered from its copy, and the writes it held for it (/metrics). */
  get replicaCounts(): ReplicaReadCounts | undefined {
    return this.deps.replica?.counts;
  }

  /** Streams open to a leader (for tests and /metrics). */
  get openStreams(): number {
    return this.pipes.open;
  }

  /** Call when cluster_leader changes: ends the streams still open to the old leader, so consoles reconnect. */
  leaderChanged(): void {
    this.pipes.closeStale();
  }

  stop(): void {
    this.pipes.closeAll();
    this.forwarding.agents.http.destroy();
    this.forwarding.agents.https.destroy();
  }

  /** A target or header Node's parser let in but its client will not send: the client's fault, answered per request. */
  private refuseUnsendable(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const unsendable = UNSENDABLE.has((err as NodeJS.ErrnoException).code ?? '');
    if (!unsendable) this.deps.log.error({ err, url: req.url?.slice(0, 200) }, 'forwarding a request failed');
    if (res.headersSent) return void res.destroy();
    const [status, code, message] = unsendable ? [400, 'bad_request', 'the request cannot be passed on as sent'] : [500, 'internal', 'internal error; the hub log has the details'];
    sendJson(res, status, { error: { code, message } }, { connection: 'close' });
    req.resume(); // nothing will read the body; let it drain so the answer is not lost to a reset
  }
}

