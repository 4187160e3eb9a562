/**
 * A cluster standby answers some console reads itself (issue 12;
 * docs/CLUSTER.md "Reads on any node"). Its copy of the journal follows the
 * leader's (journal-tail.ts), so the alert list, an alert and the audit view
 * can come from its own memory: the leader's event loop is spared them, and
 * they still answer while a failover is under way.
 *
 * Never a stale answer to a client that has seen newer:
 * - a client's `X-Hub-After` (the highest `X-Hub-Journal-N` it has seen) must
 *   be in this copy; it is waited for up to `waitMs`, then the leader answers;
 * - a write passed to the leader is answered only once this copy holds the
 *   line the leader's answer names (up to `waitMs`), so a client that reads
 *   through the same node next sees its own write even without the header;
 * - a copy that is not current (still catching up, or its last read failed)
 *   answers nothing: the leader does;
 * - the session is read from the database for each read it answers, so a
 *   logout or a revocation on the leader holds here at once; tokens this node
 *   does not hold are looked up at most 100 a second (a stranger's random
 *   tokens must not load the database that commits the alarms), the rest go
 *   to the leader, which answers them from memory.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JOURNAL_POSITION_HEADER, parseJournalLine, READ_AFTER_HEADER, REPLICA_HEADER } from '../core/journal-position.js';
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import { sessionCookieFrom, tokenFrom } from '../auth/session-token.js';
import { RateLimiter } from '../broker/rate-limiter.js';
import { sendJson } from './http-forward.js';
import { pathOf } from './request-path.js';

/** How long a read waits for this copy to reach the client's line, and a forwarded write's answer for its line. */
const DEFAULT_WAIT_MS = 1_000;

export interface ReplicaReadsDeps {
  nodeId: string;
  /** This node's copy of the journal. */
  journal: { readonly replicaCurrent?: boolean; reachLine?(n: number, maxMs: number): Promise<boolean> };
  /** This node's sessions: re-read one token's from the database (false when it cannot: the leader answers), and whether it holds one now. */
  sessions: { refresh(token: string): Promise<boolean>; holds(token: string): boolean };
  /**
   * The app over this node's copy and the requests it may answer, built once
   * on first use (hub/api/replica-routes.ts).
   */
  prepare(): Promise<{ listener: (req: IncomingMessage, res: ServerResponse) => unknown; answers: (method: string, path: string) => boolean }>;
  log: Logger;
  waitMs?: number;
  /** Database lookups of tokens this node does not hold: per second, and at once after a quiet time. Default 100 and 200. */
  unknownTokenLookups?: { perSec: number; burst: number };
}

/** What became of the reads and writes that passed (tests, /metrics). */
export interface ReplicaReadCounts {
  /** Answered here. */
  served: number;
  /** Passed to the leader: this copy had not reached the client's line in time. */
  behind: number;
  /** Passed to the leader: the copy was not current, the session could not be read, or too many unknown tokens came (the leader answers those from memory). */
  unavailable: number;
  /** Forwarded writes whose answer waited for this copy to hold their line: reached, or sent on after the wait. */
  writesReached: number;
  writesNotReached: number;
}

/** A node that answers no read itself (a leader, a hub alone, a front without a copy). */
export const NO_REPLICA_READS: Readonly<ReplicaReadCounts> = { served: 0, behind: 0, unavailable: 0, writesReached: 0, writesNotReached: 0 };

type Prepared = Awaited<ReturnType<ReplicaReadsDeps['prepare']>>;

export class ReplicaReads {
  readonly counts: ReplicaReadCounts = { ...NO_REPLICA_READS };
  private prepared: Prepared | undefined;
  private preparing: Promise<void> | undefined;
  private readonly throttle = new Throttle(60_000);
  /**
   * Unknown tokens are looked up in the database, which also commits every
   * alarm: a stranger sending random bearer tokens to a standby must not be
   * able to turn each request into a query. Past this budget they go to the
   * leader, which answers 401 from memory.
   */
  private readonly unknownTokens: RateLimiter;

  constructor(private readonly deps: ReplicaReadsDeps) {
    const { perSec, burst } = deps.unknownTokenLookups ?? { perSec: 100, burst: 200 };
    this.unknownTokens = new RateLimiter(perSec, burst);
  }

  private get waitMs(): number {
    return this.deps.waitMs ?? DEFAULT_WAIT_MS;
  }

  /** Whether this node would answer `req` itself now (else it is forwarded as before). */
  wants(req: IncomingMessage): boolean {
    if (!this.deps.journal.replicaCurrent) return false;
    if (!this.prepared) {
      this.startPreparing();
      return false; // the first reads after a start go to the leader while the app is built
    }
    return this.prepared.answers(req.method ?? '', pathOf(req.url));
  }

  /** Answers `req` from this copy, or calls `forward` when the leader must. Never throws. */
  async serve(req: IncomingMessage, res: ServerResponse, forward: () => void): Promise<void> {
    const prepared = this.prepared!;
    const after = parseJournalLine(req.headers[READ_AFTER_HEADER]);
    if (after === 'invalid') {
      req.resume();
      return sendJson(res, 400, { error: { code: 'bad_request', message: 'X-Hub-After must be one journal line number: the X-Hub-Journal-N of an earlier answer' } });
    }
    try {
      // The session first: a request without a valid one gets the app's 401 at once, never a wait.
      const token = req.url?.startsWith('/api/') ? tokenFrom(req.headers.authorization, sessionCookieFrom(req.headers.cookie)) : undefined;
      if (token) {
        const { sessions } = this.deps;
        if (!sessions.holds(token) && !this.unknownTokens.take('node')) {
          this.counts.unavailable += 1;
          return forward();
        }
        if (!(await sessions.refresh(token))) {
          this.counts.unavailable += 1;
          return forward();
        }
      }
      const signedIn = token !== undefined && this.deps.sessions.holds(token);
      if (signedIn && after !== undefined && !(await this.reach(after))) {
        this.counts.behind += 1;
        return forward();
      }
    } catch (err) {
      // The database unreachable for the session: the leader may still answer.
      if (this.throttle.pass('session')) this.deps.log.warn({ reason: (err as Error).message }, 'replica read: the session could not be read; the leader answers');
      this.counts.unavailable += 1;
      return forward();
    }
    if (res.destroyed) return;
    this.counts.served += 1;
    res.setHeader(REPLICA_HEADER, this.deps.nodeId);
    await prepared.listener(req, res);
  }

  /**
   * For a write passed to the leader: resolves once this copy holds the line
   * its answer names (or after the wait), so the client's next read here
   * sees it. Undefined when there is nothing to wait for.
   */
  beforeAnswer(req: IncomingMessage, answer: IncomingMessage): Promise<void> | undefined {
    if (req.method === 'GET' || req.method === 'HEAD' || !this.deps.journal.replicaCurrent) return undefined;
    const line = parseJournalLine(answer.headers[JOURNAL_POSITION_HEADER]);
    if (typeof line !== 'number') return undefined;
    return this.reach(line).then((reached) => {
      if (reached) this.counts.writesReached += 1;
      else this.counts.writesNotReached += 1;
    });
  }

  private async reach(line: number): Promise<boolean> {
    return (await this.deps.journal.reachLine?.(line, this.waitMs)) ?? false;
  }

  private startPreparing(): void {
    this.preparing ??= this.deps.prepare().then(
      (prepared) => void (this.prepared = prepared),
      (err: unknown) => {
        this.preparing = undefined; // tried again at the next read
        if (this.throttle.pass('prepare')) this.deps.log.error({ err }, 'replica reads: the app over this copy could not be built; the leader answers every read');
      },
    );
  }
}

