/**
 * Where a session token comes from: a bearer header (API clients) or the
 * `hc_session` HttpOnly cookie (the browser). Shared by the HTTP API and the
 * WebSocket upgrade, so both read tokens the same way without the realtime
 * layer importing the API (issue 11 §1, layering).
 */
import { parse as parseCookies } from 'hono/utils/cookie';

export const SESSION_COOKIE = 'hc_session';

export function bearerFrom(authorization: string | undefined): string | undefined {
  return authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

export function tokenFrom(authorization: string | undefined, cookie: string | undefined): string | undefined {
  return bearerFrom(authorization) ?? cookie;
}

/**
 * The session cookie out of a raw `Cookie` header, for code that has no hono
 * context (the WebSocket upgrade). hono's parser never throws: a value that is
 * not valid percent-encoding (`x=%`, which any page on the same host can set)
 * is kept as it is instead of raising a URIError (issue 10 item 1).
 */
export function sessionCookieFrom(header: string | undefined): string | undefined {
  return header ? parseCookies(header, SESSION_COOKIE)[SESSION_COOKIE] : undefined;
}
