/**
 * Server-side sessions: a random bearer token maps to a user. Tokens are kept
 * only as SHA-256 digests so a heap snapshot or a debug dump does not leak a
 * usable token. Sessions can be revoked one by one or for a whole user, and
 * every revocation is announced to listeners, so whatever outlives a request
 * (an open WebSocket) ends with the session, not at its next request
 * (DESIGN.md §11, issue 10 item 4).
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

/** Why a session ended; said to the client as the WebSocket close reason. */
export type RevokeReason = 'logged out' | 'user disabled' | 'role changed' | 'homes changed' | 'password changed' | 'access changed' | 'expired';

export type RevokeListener = (session: Session, reason: RevokeReason) => void;

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<RevokeListener>();

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
      this.end(key, session, 'expired');
      return undefined;
    }
    return session;
  }

  revoke(token: string, reason: RevokeReason = 'logged out'): void {
    const key = digest(token);
    const session = this.sessions.get(key);
    if (session) this.end(key, session, reason);
  }

  revokeUser(userId: string, reason: RevokeReason = 'access changed'): void {
    for (const [key, session] of this.sessions) if (session.userId === userId) this.end(key, session, reason);
  }

  /** Called synchronously for each revoked or expired session; returns the unsubscribe function. */
  onRevoked(listener: RevokeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private end(key: string, session: Session, reason: RevokeReason): void {
    this.sessions.delete(key);
    for (const listener of [...this.listeners]) {
      try {
        listener(session, reason);
      } catch {
        // A listener failing must not keep the session alive nor stop the others.
      }
    }
  }
}
