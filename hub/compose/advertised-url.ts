/**
 * Where the other nodes of a cluster reach this node's HTTP API when it leads
 * (written into cluster_leader; the standbys' fronts proxy consoles there):
 * HUB_ADVERTISE_URL when set, else this node's own listener — with the
 * machine's host name when it listens on every interface, since 0.0.0.0 is
 * not an address another machine can use.
 */
import { hostname } from 'node:os';

export function advertisedUrl(settings: { advertiseUrl?: string | undefined; host: string }, port: number | undefined, https: boolean): string | undefined {
  if (settings.advertiseUrl) return settings.advertiseUrl;
  if (port === undefined) return undefined;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? hostname() : settings.host;
  return `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
