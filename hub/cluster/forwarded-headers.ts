/**
 * What a follower adds to every request it passes to the leader (HTTP and
 * WebSocket upgrades alike), so the leader can tell who the client is:
 * - `X-Forwarded-For`: whatever the client sent, then the address this node's
 *   socket saw. The leader reads it from the right and believes an entry only
 *   when the hop that added it is a configured cluster peer
 *   (hub/api/client-address.ts, HUB_TRUSTED_PROXIES): a client cannot choose
 *   its own address by sending the header, because the address we append is
 *   the first one the leader reads.
 * - `X-Forwarded-Proto`: http or https as the client spoke to this node.
 * - `X-Hub-Forwarded-By`: this node's id. A follower never forwards a request
 *   that already carries it: were cluster_leader ever to name a follower (a
 *   stale row), two fronts would otherwise pass a request back and forth.
 * Host, Origin and Cookie are passed unchanged: the leader's CSRF check
 * compares Origin with Host, and both must be what the browser sent.
 */
import type { Socket } from 'node:net';

export const FORWARDED_BY_HEADER = 'x-hub-forwarded-by';

export interface ForwardedHeaders {
  'x-forwarded-for': string;
  'x-forwarded-proto': 'http' | 'https';
  [FORWARDED_BY_HEADER]: string;
}

/** The three headers for a request that arrived on `socket` with the given X-Forwarded-For (if any). */
export function forwardedHeaders(socket: Socket, clientForwardedFor: string | string[] | undefined, nodeId: string): ForwardedHeaders {
  const earlier = [clientForwardedFor ?? []].flat().join(', ').trim();
  const seen = socket.remoteAddress ?? 'unknown';
  return {
    'x-forwarded-for': earlier ? `${earlier}, ${seen}` : seen,
    'x-forwarded-proto': (socket as Socket & { encrypted?: boolean }).encrypted ? 'https' : 'http',
    [FORWARDED_BY_HEADER]: nodeId,
  };
}
