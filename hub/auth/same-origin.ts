/**
 * "Did this request come from the hub's own console?" for the two places that
 * let a browser's ambient credentials through: the WebSocket upgrade (cookie
 * or not) and cookie-authenticated writes (CSRF, issue 10 item 5).
 *
 * The session cookie is SameSite=Strict, but "site" ignores the port: a page
 * on another port of the same host is same-site and gets the cookie. So
 * writes check the origin itself, the way browsers report it:
 * - `Sec-Fetch-Site` (every current browser): only `same-origin` passes;
 *   `same-site`, `cross-site` and `none` are refused.
 * - `Origin` (sent with every non-GET fetch and form post): its host:port
 *   must be the Host the request was sent to.
 * A cookie-authenticated write carrying neither is refused: every browser
 * that can hold the cookie sends at least one of them, and scripts and
 * tools should use the bearer token, which no other page can attach.
 */
/** True when `origin` (an Origin header) names the same host:port as `host` (the Host header). */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // `null` (sandboxed frames, file://) and garbage are never our origin
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface OriginHeaders {
  origin: string | undefined;
  secFetchSite: string | undefined;
  host: string | undefined;
}

/** Why a cookie-authenticated request must be refused, or undefined when it may proceed. */
export function crossOriginWriteReason(method: string, headers: OriginHeaders): string | undefined {
  if (SAFE_METHODS.has(method.toUpperCase())) return undefined;
  const site = headers.secFetchSite?.toLowerCase();
  if (site !== undefined && site !== 'same-origin') return `Sec-Fetch-Site is ${site.slice(0, 20)}`;
  if (headers.origin !== undefined && !sameOrigin(headers.origin, headers.host)) return 'Origin is not this hub';
  if (site === undefined && headers.origin === undefined) return 'neither Origin nor Sec-Fetch-Site was sent';
  return undefined;
}
