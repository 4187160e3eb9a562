/**
 * JSON over fetch to the hub on the same origin. The session rides the
 * HttpOnly `hc_session` cookie, so no token is ever kept in script-readable
 * storage. Errors keep the hub's `{error: {code, message}}` so the console can
 * show the hub's own words (e.g. a 409 "already acknowledged by …").
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** A 400's bad fields (`error.issues`), to show next to each field. */
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};

/** Called on any 401 (expired or revoked session): the app goes back to the login page. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export const API = '/api/v1';

/**
 * The highest journal line this console has seen: `X-Hub-Journal-N` on the
 * hub's answers and the stream's alert event ids (both are journal line
 * numbers). Sent as `X-Hub-After` with every read, so a cluster standby that
 * answers reads from its own copy (docs/CLUSTER.md "Reads on any node") is
 * never older than what this console has already shown: an alert that came
 * in on the stream is there when it is opened.
 */
let seenJournalLine = 0;

/** A journal line seen; `restart` when the stream now follows another journal (its line numbers start afresh). */
export function sawJournalLine(line: number, restart = false): void {
  if (!Number.isSafeInteger(line) || line < 0) return;
  if (restart || line > seenJournalLine) seenJournalLine = line;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json', ...(method === 'GET' && seenJournalLine > 0 ? { 'x-hub-after': String(seenJournalLine) } : {}) } };
  // Every state-changing call sends JSON, even an empty object: the hub requires application/json there.
  if (method !== 'GET') {
    init.headers = { ...init.headers, 'content-type': 'application/json' };
    init.body = JSON.stringify(body ?? {});
  }
  let res: Response;
  try {
    res = await fetch(`${API}${path}`, init);
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  const line = res.headers.get('x-hub-journal-n');
  if (line !== null) sawJournalLine(Number(line));
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; issues?: unknown } } | undefined)?.error;
    if (res.status === 401 && !path.startsWith('/auth/login')) onUnauthorized();
    const issues = Array.isArray(error?.issues)
      ? (error.issues as unknown[]).filter((i): i is { path: string; message: string } => typeof (i as { path?: unknown })?.path === 'string' && typeof (i as { message?: unknown }).message === 'string')
      : [];
    throw new ApiError(res.status, error?.code ?? `http_${res.status}`, error?.message ?? res.statusText, issues);
  }
  return parsed as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body);
export const patch = <T>(path: string, body?: unknown) => request<T>('PATCH', path, body);
export const put = <T>(path: string, body?: unknown) => request<T>('PUT', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);
