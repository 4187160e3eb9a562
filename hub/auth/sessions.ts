/**
 * Server-side sessions: a random bearer token maps to a user. Tokens are kept
 * only as SHA-256 digests so a heap snapshot or a debug dump does not leak a
 * usable token. Sessions can be revoked one by one or for a whole user, and
 * every revocation is announced to listeners, so whatever outlives a request
 * (an open WebSocket) ends with the session, not at its next request
 * (DESIGN.md §11, issue 10 item 4).
 *
 * Every request reads the sessions in memory; a SessionsStore
 * (hub/storage/ports.ts) keeps them across a restart where the store can
 * (PostgreSQL; on files they live in memory only). Memory changes first — a
 * revocation takes effect at once even if the store is down — and the call
 * resolves once the store has the change, so a revoked session cannot come
 * back with the next start.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../registry/records.js';
import type { SessionsStore } from '../storage/ports.js';

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

export interface SessionStoreOptions {
  store: SessionsStore;
  ttlMs?: number | undefined;
  now?: (() => number) | undefined;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<RevokeListener>();
  private readonly store: SessionsStore;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: SessionStoreOptions) {
    this.store = options.store;
    this.ttlMs = options.ttlMs ?? 12 * 60 * 60 * 1000;
    this.now = options.now ?? Date.now;
  }

  /** Loads the sessions the store kept (none on files). */
  async start(): Promise<void> {
    for (const { digest: key, session } of await this.store.load(this.now())) this.sessions.set(key, session);
  }

  async stop(): Promise<void> {
    await this.store.close();
  }

  /** Resolves once the session is stored; a store that fails leaves no session behind. */
  async create(user: Omit<Session, 'expiresAt'>): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    const key = digest(token);
    const session: Session = { ...user, homeIds: [...user.homeIds], expiresAt };
    // In memory first, so a revocation that overtakes the store write still finds it.
    this.sessions.set(key, session);
    try {
      await this.store.put({ digest: key, session });
    } catch (err) {
      this.sessions.delete(key);
      throw err;
    }
    return { token, expiresAt };
  }

  /**
   * Makes this process's view of one token what the store holds now: a
   * cluster standby calls it before answering a read itself (its sessions are
   * the leader's, created and revoked there). A token the store no longer has
   * ends here as revoked. False when the store cannot be asked (files: only
   * this process's sessions exist); the caller then passes the request on.
   */
  async refresh(token: string): Promise<boolean> {
    if (!this.store.find) return false;
    const key = digest(token);
    const stored = await this.store.find(key, this.now());
    if (stored) this.sessions.set(key, stored.session);
    else {
      const known = this.sessions.get(key);
      if (known) this.end(key, known, 'logged out');
    }
    return true;
  }

  /** Whether this process has the token in memory now (no side effect: an expired one still counts until resolved). */
  holds(token: string): boolean {
    return this.sessions.has(digest(token));
  }

  resolve(token: string): Session | undefined {
    const key = digest(token);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.end(key, session, 'expired');
      // Best effort: an expired row left behind is skipped by the next load anyway.
      this.store.remove([key]).catch(() => undefined);
      return undefined;
    }
    return session;
  }

  async revoke(token: string, reason: RevokeReason = 'logged out'): Promise<void> {
    const key = digest(token);
    const session = this.sessions.get(key);
    if (!session) return;
    this.end(key, session, reason);
    await this.store.remove([key]);
  }

  async revokeUser(userId: string, reason: RevokeReason = 'access changed'): Promise<void> {
    const ended: string[] = [];
    for (const [key, session] of this.sessions) {
      if (session.userId !== userId) continue;
      this.end(key, session, reason);
      ended.push(key);
    }
    if (ended.length > 0) await this.store.remove(ended);
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
