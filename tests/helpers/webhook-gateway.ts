/**
 * A webhook gateway for notification tests: a real node:http server on
 * 127.0.0.1, port 0, recording every request with its raw body, answering
 * with whatever status the test sets (or never, to play a dead gateway).
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GatewayRequest {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
}

export type Reply = number | 'hang';

/**
 * The gateway listens on loopback, which the hub refuses by default (issue 10
 * item 6): hubs that deliver to it must allow 127.0.0.1 explicitly.
 */
export const LOOPBACK_GATEWAY_ENV = { HUB_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1' };

export class WebhookGateway {
  readonly requests: GatewayRequest[] = [];
  /** What to answer the next request with; by default 200. */
  reply: (req: GatewayRequest, index: number) => Reply = () => 200;
  private readonly hanging: ServerResponse[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookGateway> {
    let gateway: WebhookGateway | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => gateway!.receive(req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    gateway = new WebhookGateway(server, `http://127.0.0.1:${port}`);
    return gateway;
  }

  private receive(path: string, headers: IncomingHttpHeaders, raw: string, res: ServerResponse): void {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const req: GatewayRequest = { path, headers, raw, body };
    const index = this.requests.push(req) - 1;
    for (const wake of this.waiters.splice(0)) wake();
    const reply = this.reply(req, index);
    if (reply === 'hang') {
      this.hanging.push(res);
      return;
    }
    res.writeHead(reply, { 'content-type': 'application/json' }).end('{"ok":true}');
  }

  /** Resolves once `count` requests (matching `filter`) have arrived. */
  async waitFor(count: number, filter: (r: GatewayRequest) => boolean = () => true, timeoutMs = 5_000): Promise<GatewayRequest[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.requests.filter(filter);
      if (matching.length >= count) return matching;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`gateway: ${matching.length} of ${count} expected requests arrived (${this.requests.length} in all)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging.splice(0)) res.destroy();
    const closed = new Promise((resolve) => this.server.close(resolve));
    this.server.closeAllConnections();
    await closed;
  }
}

export const closeGateway = (g: WebhookGateway) => g.close();
