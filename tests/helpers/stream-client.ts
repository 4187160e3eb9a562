/** A WebSocket client for /api/v1/stream that records messages and waits for one matching a predicate. */
import WebSocket from 'ws';

export class StreamClient {
  readonly messages: any[] = [];
  private waiters: { match: (m: any) => boolean; resolve: (m: any) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      this.messages.push(message);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(message)) return true;
        w.resolve(message);
        return false;
      });
    });
  }

  /** An https:// URL opens wss://; `tls` carries e.g. the `ca` that trusts a test certificate. */
  static open(httpUrl: string, query: string, headers: Record<string, string> = {}, tls: WebSocket.ClientOptions = {}): Promise<StreamClient> {
    const socket = new WebSocket(`${httpUrl.replace('http', 'ws')}/api/v1/stream?${query}`, { ...tls, headers });
    const client = new StreamClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  next(match: (m: any) => boolean, timeoutMs = 3_000): Promise<any> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching stream message within ${timeoutMs} ms; got ${JSON.stringify(this.messages).slice(0, 500)}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}
