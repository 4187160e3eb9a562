/**
 * Who is logged in. The token itself stays in the HttpOnly cookie; only the
 * user's public profile (name, role) is remembered in localStorage so a reload
 * knows which pages to offer. The hub checks the role on every call anyway.
 */
import { createStore } from '../util/store.js';
import { get, post, setUnauthorizedHandler } from './http.js';
import type { User } from './types.js';

const KEY = 'hc.user';

function remembered(): User | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    const user = raw ? (JSON.parse(raw) as Partial<User>) : undefined;
    return user && typeof user.username === 'string' && typeof user.role === 'string' ? (user as User) : undefined;
  } catch {
    return undefined;
  }
}

export const currentUser = createStore<User | undefined>(remembered());

function forget(): void {
  localStorage.removeItem(KEY);
  currentUser.set(undefined);
}

setUnauthorizedHandler(forget);

export async function login(username: string, password: string): Promise<User> {
  const res = await post<{ user: User }>('/auth/login', { username, password });
  localStorage.setItem(KEY, JSON.stringify(res.user));
  currentUser.set(res.user);
  return res.user;
}

export async function logout(): Promise<void> {
  try {
    await post('/auth/logout');
  } finally {
    forget();
  }
}

/**
 * Checks the remembered user against the hub (GET /auth/me) after a reload:
 * a session that ended meanwhile goes back to the login page (the 401
 * handler), and a changed name, role or set of linked homes is picked up.
 * A network failure keeps what is remembered: the pages say the hub is away.
 */
export async function refreshSession(): Promise<void> {
  if (!currentUser.get()) return;
  try {
    const res = await get<{ user: User }>('/auth/me');
    const known = currentUser.get();
    if (!known) return;
    localStorage.setItem(KEY, JSON.stringify(res.user));
    const same = known.id === res.user.id && known.role === res.user.role && known.displayName === res.user.displayName && String(known.homeIds) === String(res.user.homeIds);
    if (!same) currentUser.set(res.user);
  } catch {
    // 401: forget() already ran; anything else: keep the remembered user.
  }
}
