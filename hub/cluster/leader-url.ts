/**
 * The leader's base URL as cluster_leader stores it (`http://10.0.0.5:8080`),
 * checked before a follower connects to it. The row is written by the leader
 * itself, but a follower must not throw on whatever it reads: a value that is
 * not an http(s) URL counts as "no leader" (and is logged once per value by
 * the caller), never as an exception inside a request handler.
 */
import { isIP } from 'node:net';

export interface LeaderAddress {
  /** `http://host:port`, no path: requests keep their own path and query. */
  origin: string;
  host: string;
  port: number;
  tls: boolean;
}

export function parseLeaderUrl(url: string | undefined): LeaderAddress | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const tls = parsed.protocol === 'https:';
  // URL keeps IPv6 hosts in brackets; net.connect wants them bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { origin: parsed.origin, host, port: Number(parsed.port || (tls ? 443 : 80)), tls };
}

/** SNI for a TLS connection to the leader: its name, never an address (RFC 6066 §3; Node warns at an IP). */
export function serverName(host: string): { servername?: string } {
  return isIP(host) === 0 ? { servername: host } : {};
}
