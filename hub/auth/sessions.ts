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
 *
 * On a cluster (PostgreSQL) a session is valid on every node and ends on
 * every node at once (DESIGN.md §8, §11; docs/CLUSTER.md "Consoles on any
 * node"):
 * - a token this node does not hold is asked of the store once (`lookup`)
 *   before it is refused: the console's login was made on another node. At
 *   most `unknownTokenLookups` such questions a second (a burst after a quiet
 *   time), and one at a time per token: random bearer tokens sent by a
 *   stranger must not each become a query on the database that also commits
 *   every alarm. Past the budget, an unknown token is refused (401);
 * - an ending (logout, user disabled, expired…) is announced through the
 *   store (`removeAndAnnounce`, a NOTIFY in the statement that deletes the
 *   row), and every node ends the session when it hears it, telling its
 *   revoke listeners (the stream closes that session's WebSockets); a node
 *   that may have missed announcements (its listening connection was lost)
 *   checks every session it holds against the store.
 */
import { createHash, randomBytes } from 'node:crypto';
import { RateLimiter } from '../broker/rate-limiter.js';
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

const REVOKE_REASONS: ReadonlySet<string> = new Set<RevokeReason>(['logged out', 'user disabled', 'role changed', 'homes changed', 'password changed', 'access changed', 'expired']);

export interface SessionStoreOptions {
  store: SessionsStore;
  ttlMs?: number | undefined;
  now?: (() => number) | undefined;
  /** Store lookups of tokens this node does not hold: per second, and at once after a quiet time. Default 100 and 200 (as replica-reads.ts). */
  unknownTokenLookups?: { perSec: number; burst: number } | undefined;
}

/** A store lookup in flight for one token digest; `revoked` when an ending of it was heard meanwhile. */
interface Finding {
  done: Promise<void>;
  revoked: boolean;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<RevokeListener>();
  private readonly store: SessionsStore;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly lookups: RateLimiter;
  private readonly finding = new Map<string, Finding>();
  /** Sessions created here whose row is being written (checkHeld must not take them for ended). */
  private readonly creating = new Set<string>();
  private watching: { close(): Promise<void> } | undefined;
  /** Store lookups of unknown tokens made, and those refused by the budget (tests, /metrics). */
  readonly lookupCounts = { asked: 0, overBudget: 0, failed: 0 };
  /** Announcements of ended sessions heard from the store, and catch-up checks after a reconnection (tests, /metrics). */
  readonly revocationCounts = { notices: 0, checks: 0 };

  constructor(options: SessionStoreOptions) {
    this.store = options.store;
    this.ttlMs = options.ttlMs ?? 12 * 60 * 60 * 1000;
    this.now = options.now ?? Date.now;
    const { perSec, burst } = options.unknownTokenLookups ?? { perSec: 100, burst: 200 };
    this.lookups = new RateLimiter(perSec, burst);
  }

  /**
   * Listens for sessions ended on other nodes (where the store announces
   * them), then loads the sessions the store kept (none on files). In that
   * order: an ending committed after the load's read is heard, one before it
   * is not in what was loaded.
   */
  async start(): Promise<void> {
    await this.followRevocations();
    for (const { digest: key, session } of await this.store.load(this.now())) this.sessions.set(key, session);
  }

  /**
   * Hears the endings every node announces (start() calls it; a node that
   * serves consoles before its pipeline starts may call it earlier). Once.
   */
  async followRevocations(): Promise<void> {
    if (this.watching || !this.store.watchRevocations) return;
    this.watching = await this.store.watchRevocations((revoked) => {
      if (revoked) {
        this.revocationCounts.notices += 1;
        this.revokedElsewhere(revoked.digests, revoked.reason);
      } else void this.checkHeld();
    });
  }

  async stop(): Promise<void> {
    const watching = this.watching;
    this.watching = undefined;
    await watching?.close();
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
    this.creating.add(key);
    try {
      await this.store.put({ digest: key, session });
    } catch (err) {
      this.sessions.delete(key);
      throw err;
    } finally {
      this.creating.delete(key);
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

  /**
   * The token's session: from memory, else, where the store is shared
   * (PostgreSQL), asked of the store once (a login made on another node)
   * within the lookup budget. Undefined: refuse it (unknown, expired, over
   * the budget, or the store unreachable). Never throws.
   */
  async lookup(token: string): Promise<Session | undefined> {
    const key = digest(token);
    // Held here (an expired one is ended by resolve, never asked for again).
    if (this.sessions.has(key) || !this.store.find) return this.resolve(token);
    let finding = this.finding.get(key);
    if (!finding) {
      if (!this.lookups.take('unknown')) {
        this.lookupCounts.overBudget += 1;
        return undefined;
      }
      finding = { done: Promise.resolve(), revoked: false };
      finding.done = this.find(key, finding);
      this.finding.set(key, finding);
    }
    await finding.done;
    return this.resolve(token);
  }

  private async find(key: string, finding: Finding): Promise<void> {
    this.lookupCounts.asked += 1;
    try {
      const stored = await this.store.find!(key, this.now());
      // An ending heard while the row was read (it was read before the DELETE committed) wins.
      if (stored && !finding.revoked && !this.sessions.has(key)) this.sessions.set(key, stored.session);
    } catch {
      this.lookupCounts.failed += 1; // the database unreachable: refused now, asked again at the next request
    } finally {
      this.finding.delete(key);
    }
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
      // Best effort: an expired row left behind is skipped by the next load anyway (every node expires it by itself too).
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
    await this.removeEverywhere([key], reason);
  }

  async revokeUser(userId: string, reason: RevokeReason = 'access changed'): Promise<void> {
    const ended: string[] = [];
    for (const [key, session] of this.sessions) {
      if (session.userId !== userId) continue;
      this.end(key, session, reason);
      ended.push(key);
    }
    if (ended.length > 0) await this.removeEverywhere(ended, reason);
  }

  /** Removed from the store and, where it is shared, announced to every node. */
  private removeEverywhere(keys: readonly string[], reason: RevokeReason): Promise<void> {
    return this.store.removeAndAnnounce ? this.store.removeAndAnnounce(keys, reason) : this.store.remove(keys);
  }

  /** Sessions another node (or this one) announced as ended: ended here too, a lookup in flight for one of them dropped. */
  private revokedElsewhere(keys: readonly string[], reason: string): void {
    const why = (REVOKE_REASONS.has(reason) ? reason : 'access changed') as RevokeReason;
    for (const key of keys) {
      const finding = this.finding.get(key);
      if (finding) finding.revoked = true;
      const session = this.sessions.get(key);
      if (session) this.end(key, session, why);
    }
  }

  /** After announcements may have been missed: every session held here that the store no longer has ends. */
  private async checkHeld(): Promise<void> {
    if (!this.store.stored) return;
    // Not those whose row is still being written here: the read may not see them yet.
    const held = [...this.sessions].filter(([key]) => !this.creating.has(key));
    let still: ReadonlySet<string>;
    try {
      still = await this.store.stored(
        held.map(([key]) => key),
        this.now(),
      );
    } catch {
      return; // unreachable again: the next reconnection checks again
    }
    for (const [key, session] of held) {
      // Expired ones are ended by resolve() with their own reason.
      if (!still.has(key) && this.sessions.get(key) === session && session.expiresAt > this.now()) this.end(key, session, 'logged out');
    }
    this.revocationCounts.checks += 1;
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
