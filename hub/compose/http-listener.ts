/**
 * The HTTP side of the hub as one service: the API app, the server that
 * serves it (HTTPS and so wss when TLS is configured, plain HTTP otherwise)
 * and the WebSocket stream attached to it. Part of the composition root:
 * it only wires what the root built.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createAdaptorServer, getRequestListener } from '@hono/node-server';
import type { createApi } from '../api/app.js';
import { guardHttpServer } from '../api/http-server-guard.js';
import type { TlsCertificates } from '../config/tls-certificates.js';
import type { Logger } from '../core/logger.js';
import type { Service } from '../core/service.js';
import type { StreamServer } from '../realtime/stream-server.js';
import { waitAtMost } from '../core/wait-at-most.js';

export type HubApp = ReturnType<typeof createApi>;

/**
 * What a cluster node serves while another node leads (issue 12): its own
 * /health and /metrics, and everything else passed to the leader
 * (hub/compose/standby-front.ts). Replaced by the hub's own app on `promote()`.
 */
export interface FollowerFront {
  readonly requestListener: (req: IncomingMessage, res: ServerResponse) => void;
  readonly handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  stop(): void;
}

export interface HttpListenerDeps {
  host: string;
  port: number;
  /** Built at start, when every service it reads from is ready. */
  makeApp(): HubApp;
  stream: StreamServer;
  /** The TLS material, once the TLS service has read it (undefined: plain HTTP). */
  tls(): TlsCertificates | undefined;
  log: Logger;
  /** Set on a cluster node: served until `promote()`; the app is built only then. */
  front?: FollowerFront | undefined;
  /** How long stop() lets requests in flight finish; default REQUESTS_GRACE_MS. */
  requestsGraceMs?: number;
}

/**
 * How long stop() lets the app's requests in flight finish after their
 * connections are closed. A login spends ~200 ms hashing on a pool thread and
 * then writes its audit line: stopped mid-way, it would write to a journal the
 * services after this one have closed meanwhile.
 */
const REQUESTS_GRACE_MS = 5_000;

export class HttpListener implements Service {
  readonly name = 'http';
  app: HubApp | undefined;
  address: AddressInfo | undefined;
  private server: Server | undefined;
  /** The app's requests being handled now (their answers, with what they asked), waited for at stop. */
  private readonly handling = new Map<Promise<unknown>, string>();
  /** A promoted standby's app, as a Node request listener. */
  private appListener: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  /** HUB_PARTITIONS=spread: this node's own app behind its front (`ownApi`), built at its first request. */
  private ownListener: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  /** HUB_PARTITIONS=spread, while this node leads: the consoles' streams are served here, not piped. */
  private streamsHere = false;

  constructor(private readonly deps: HttpListenerDeps) {}

  async start(): Promise<void> {
    const { front, stream } = this.deps;
    let server: Server;
    if (front) {
      // One server for the node's whole life: connections opened while it followed stay up when it leads.
      server = this.createFrontServer(front);
    } else {
      const app = (this.app = this.deps.makeApp());
      server = this.createServer(this.tracked(app.fetch));
      stream.attach(server);
    }
    // No request, however malformed, may throw past its handler (issue 10 item 1).
    guardHttpServer(server, this.deps.log);
    server.listen(this.deps.port, this.deps.host);
    this.server = server;
    await once(server, 'listening');
    this.address = server.address() as AddressInfo;
  }

  /** A standby's server: the front until promote(), then the app and the stream, checked per request. */
  private createFrontServer(front: FollowerFront): Server {
    const listener = (req: IncomingMessage, res: ServerResponse) => (this.appListener ? this.appListener(req, res) : front.requestListener(req, res));
    const tls = this.deps.tls();
    const server = tls ? createHttpsServer({ ...tls.material.context, handshakeTimeout: 10_000 }, listener) : createHttpServer(listener);
    if (tls) tls.use(server as HttpsServer);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => (this.appListener || this.streamsHere ? this.deps.stream.onUpgrade(req, socket, head) : front.handleUpgrade(req, socket, head)));
    return server;
  }

  /** A cluster node that now leads: its own app and stream from the next request on. */
  promote(): void {
    if (this.app || !this.deps.front) return;
    this.deps.stream.listen();
    this.app = this.deps.makeApp();
    this.appListener = getRequestListener(this.tracked(this.app.fetch));
    this.deps.front.stop(); // streams piped to the old leader end; their consoles reconnect here
  }

  /**
   * HUB_PARTITIONS=spread: the node's own API, for the requests its front
   * runs here (the homes it owns; everything while it leads). The front
   * stays: it sends the other homes' writes to their owners.
   */
  readonly ownApi = (req: IncomingMessage, res: ServerResponse): unknown => {
    if (!this.ownListener) {
      this.app ??= this.deps.makeApp();
      this.ownListener = getRequestListener(this.tracked(this.app.fetch));
    }
    return this.ownListener(req, res);
  };

  /** HUB_PARTITIONS=spread: this node leads; the consoles' streams are its own from now on (the front pipes them here). */
  serveStreamsHere(): void {
    if (this.streamsHere) return;
    this.deps.stream.listen();
    // The front goes on (other homes' writes to their owners); streams piped to the old leader end when the leader watch sees the change.
    this.streamsHere = true;
  }

  async stop(): Promise<void> {
    this.deps.stream.stop();
    this.deps.front?.stop();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
    // A handler goes on after its connection is closed: let it finish before the stores it writes to close.
    const graceMs = this.deps.requestsGraceMs ?? REQUESTS_GRACE_MS;
    if (await waitAtMost(Promise.allSettled([...this.handling.keys()]), graceMs)) return;
    // Said, so a slow stop is explained (and a handler that never ends can be found).
    const stillHandling = [...this.handling.values()].slice(0, 20);
    this.deps.log.warn({ stillHandling, count: this.handling.size, graceMs }, 'stop: requests still being handled after the grace; the services behind them stop anyway');
  }

  /** Requests being handled by the app now (tests). */
  get requestsInFlight(): number {
    return this.handling.size;
  }

  /** The app's fetch, each answer kept in `handling` until it settles. */
  private tracked(fetch: HubApp['fetch']): HubApp['fetch'] {
    return (...args: Parameters<HubApp['fetch']>) => {
      const answer = Promise.resolve(fetch(...args));
      this.handling.set(answer, requestLabel(args[0]));
      answer.then(
        () => this.handling.delete(answer),
        () => this.handling.delete(answer),
      );
      return answer;
    };
  }

  /** HTTPS (and so wss) when TLS is configured, plain HTTP otherwise; the same app either way. */
  private createServer(fetch: HubApp['fetch']): Server {
    const tls = this.deps.tls();
    if (!tls) return createAdaptorServer({ fetch }) as Server;
    // A stranger's unfinished handshake is dropped after 10 s (Node's default: 120 s).
    const server = createAdaptorServer({ fetch, createServer: createHttpsServer, serverOptions: { ...tls.material.context, handshakeTimeout: 10_000 } }) as HttpsServer;
    tls.use(server);
    return server;
  }
}

/** `POST /api/v1/auth/login`: what a request asked, never its query (it may carry a token) nor its body. */
function requestLabel(request: Request): string {
  try {
    return `${request.method} ${new URL(request.url).pathname.slice(0, 200)}`;
  } catch {
    return request.method;
  }
}
