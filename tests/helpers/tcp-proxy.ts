/**
 * A TCP proxy on 127.0.0.1 port 0 in front of a real server (Redis or
 * PostgreSQL, in the cluster tests), that a test can cut: every open
 * connection is destroyed and new ones are refused — what a hub sees when its
 * Redis or database goes away, without stopping the machine's servers that
 * other tests use — and restore, on the same port, as a network comes back.
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Ends every connection and refuses new ones. */
  cut(): Promise<void>;
  /**
   * Open connections stop carrying bytes but stay open, as after a NAT or
   * firewall forgot them (a half-open connection: no error, no end, ever);
   * new connections work.
   */
  silence(): void;
  /**
   * A network that drops every packet (a firewall's DROP, a partition): open
   * connections carry nothing more in either direction — not even the
   * server's own end of a session — and new ones are accepted but never
   * reach the server. Nothing is ever reset: only the hub's own timers can
   * tell. `restore` lets new connections through again.
   */
  blackhole(): void;
  /** Accepts connections again on the same port (after `cut`), and forwards new ones again (after `blackhole`). */
  restore(): Promise<void>;
  /** Ends every connection for good. */
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<readonly [Socket, Socket]>();
  /** Sockets of connections made or caught in a blackhole: held open, never forwarded, never ended from the far side. */
  const holed = new Set<Socket>();
  let dropping = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (dropping) {
      holed.add(client);
      client.resume(); // read and discard: what it sends is lost on the way
      return;
    }
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    client.pipe(upstream).pipe(client);
    const pair = [client, upstream] as const;
    pairs.add(pair);
    client.on('close', () => pairs.delete(pair));
    client.on('close', () => holed.has(client) || upstream.destroy());
    upstream.on('close', () => holed.has(client) || client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const cut = async () => {
    if (!server.listening) return;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    port,
    cut,
    silence() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
      }
      pairs.clear();
    },
    blackhole() {
      dropping = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        holed.add(client);
        client.resume();
        upstream.resume();
      }
      pairs.clear();
    },
    async restore() {
      dropping = false;
      if (server.listening) return;
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    close: cut,
  };
}
