/**
 * MQTT over TLS (issue 10 item 9). The TLS server only decrypts: each
 * handshaken TLSSocket goes to the same handler as a plain TCP socket, so the
 * packet guard, the outbound limit, the connect timeout and the ACL apply
 * unchanged. What TLS adds is checked here: the per-IP connection rate before
 * the (CPU-costly) handshake, a handshake deadline (Node's default is 120 s,
 * which would let a stranger hold sockets open 24 × longer than a CONNECT may
 * take), and the device's client certificate for the connect decision.
 */
import type { Socket } from 'node:net';
import { createServer, type SecureContextOptions, type Server, type TLSSocket } from 'node:tls';
import type { ClientCertificate } from './device-acl.js';

export interface MqttTlsListenerOptions {
  context: SecureContextOptions;
  /** Ask devices for a certificate (HUB_TLS_CA set); one is never required. */
  requestClientCert: boolean;
  handshakeTimeoutMs: number;
  /** Called on TCP accept, before the handshake; false destroys the socket. */
  admit(socket: Socket): boolean;
  onSecureConnection(socket: TLSSocket): void;
  onHandshakeFailed(socket: Socket, err: Error): void;
}

export function createMqttTlsServer(options: MqttTlsListenerOptions): Server {
  const server = createServer({
    ...options.context,
    requestCert: options.requestClientCert,
    // A device without a certificate, or with one from another CA, still completes the
    // handshake: the connect decision refuses it with a CONNACK and an audit line.
    rejectUnauthorized: false,
    handshakeTimeout: options.handshakeTimeoutMs,
    // noDelay: QoS 1 round trips stall ~40 ms on Nagle + delayed ACK (DESIGN.md §10).
    noDelay: true,
  });
  server.on('connection', (socket: Socket) => {
    if (!options.admit(socket)) socket.destroy();
  });
  server.on('secureConnection', options.onSecureConnection);
  // With a listener here Node no longer destroys the socket itself (_tls_wrap onSocketTLSError).
  server.on('tlsClientError', (err, socket) => {
    socket.destroy();
    options.onHandshakeFailed(socket, err);
  });
  return server;
}

/** The certificate a device presented on this connection, if any. */
export function clientCertificate(socket: TLSSocket): ClientCertificate | undefined {
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  // Several CNs come back as an array: no single device id, so it matches none.
  const cn: unknown = peer.subject?.CN;
  return {
    trusted: socket.authorized,
    commonName: typeof cn === 'string' ? cn : undefined,
    problem: socket.authorizationError ? String(socket.authorizationError) : undefined,
  };
}
