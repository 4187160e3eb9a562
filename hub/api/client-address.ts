/**
 * Who sent a request, for the login guard's per-address counters and the
 * audit line of a login (issue 7), when some requests reach this hub through
 * another cluster node (issue 12 item 4, hub/cluster/leader-proxy.ts). Such a
 * request's socket is the follower's, so without X-Forwarded-For every
 * console behind a follower would share one address: ten typos on one node
 * would lock every operator behind it out.
 *
 * X-Forwarded-For is believed only hop by hop, from the right: the socket's
 * address first; while that address is a trusted proxy (HUB_TRUSTED_PROXIES,
 * the cluster's own nodes), the entry it appended is taken as the next
 * address. The first address that is not a trusted proxy is the client.
 * Anything a client writes into the header itself sits to the left of what
 * the trusted node appended and is never reached; a header sent straight to
 * this hub by an untrusted address is ignored entirely. With no trusted
 * proxies (the default, and every single-node hub) the socket's address is
 * the answer, as before.
 *
 * /metrics' loopback rule keeps reading the socket only (routes/health.ts): a
 * follower answers its own /metrics and never forwards it.
 */
import type { BlockList } from 'node:net';
import { isIP } from 'node:net';

/** `::ffff:10.0.0.5` (an IPv4 client on a dual-stack socket) is 10.0.0.5 for the trusted list. */
function plain(address: string): string {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 ? v4 : address;
}

function isTrusted(address: string, trusted: BlockList): boolean {
  const family = isIP(address);
  return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** The client's address: the socket's, or what trusted proxies in front of it say (see above). */
export function clientAddressBehind(socketAddress: string, forwardedFor: string | undefined, trusted: BlockList | undefined): string {
  let address = plain(socketAddress);
  if (!trusted || !forwardedFor) return address;
  const hops = forwardedFor.split(',').map((hop) => hop.trim()).reverse();
  for (const hop of hops) {
    if (!isTrusted(address, trusted)) break;
    const next = plain(hop);
    // A trusted proxy that appended something that is not an address: stop at that proxy.
    if (isIP(next) === 0) break;
    address = next;
  }
  return address;
}
