/**
 * Who is logged in. The token itself stays in the HttpOnly cookie; only the
 * user's public profile (name, role) is remembered in localStorage so a reload
 * knows which pages to offer. The hub checks the role on every call anyway.
 */
import { createStore } from '../util/store.js';
import { post, setUnauthorizedHandler } from './http.js';
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
