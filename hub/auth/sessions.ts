/**
 * Server-side sessions: a random bearer token maps to a user. Tokens are kept
 * only as SHA-256 digests so a heap snapshot or a debug dump does not leak a
 * usable token. Sessions can be revoked one by one or for a whole user.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../registry/records.js';

export interface Session {
  userId: string;
  username: string;
  role: Role;
  homeIds: readonly string[];
  expiresAt: number;
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number = 12 * 60 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  create(user: Omit<Session, 'expiresAt'>): { token: string; expiresAt: number } {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.sessions.set(digest(token), { ...user, expiresAt });
    return { token, expiresAt };
  }

  resolve(token: string): Session | undefined {
    const key = digest(token);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  revoke(token: string): void {
    this.sessions.delete(digest(token));
  }

  revokeUser(userId: string): void {
    for (const [key, session] of this.sessions) if (session.userId === userId) this.sessions.delete(key);
  }
}
