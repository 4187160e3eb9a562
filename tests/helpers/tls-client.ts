/**
 * Client side of the TLS tests: a fetch that trusts a test certificate (Node's
 * built-in fetch takes no CA option), and the fingerprint of the certificate a
 * fresh TLS connection is served, to tell which certificate a listener uses.
 */
import { request } from 'node:https';
import { connect } from 'node:tls';

/** A fetch for ApiClient over HTTPS that trusts `ca` (and only it). */
export function tlsFetch(ca: Buffer): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const body = typeof init.body === 'string' ? init.body : undefined;
    return new Promise<Response>((resolve, reject) => {
      const req = request(url, { method: init.method ?? 'GET', headers, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) out.append(name, v);
          }
          resolve(new Response(res.statusCode === 204 ? null : Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: out }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }) as typeof fetch;
}

/** Opens a TLS connection to 127.0.0.1:port and returns the SHA-256 fingerprint of the certificate served. */
export function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // Only looking, not trusting: the fingerprint is the check.
    const socket = connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}
