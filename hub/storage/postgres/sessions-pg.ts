/**
 * Login sessions on PostgreSQL (SessionsStore): one row per session, keyed by
 * the SHA-256 digest of its token, so a restart keeps operators logged in and
 * a revocation is gone for good. Expired rows are deleted when the hub loads.
 *
 * Every node of a cluster reads the same table (issue 12, DESIGN.md §8
 * "Operators and families can use any node"): a node asks for a token it does
 * not hold (`find`, rate-limited by the caller), and a session ended on one
 * node is announced on the `hub_sessions` channel by the statement that
 * deletes it, so it is sent only if the deletion commits, and every node ends
 * it at once, open WebSockets included (DESIGN.md §11). A notification sent
 * while a node's listening connection is down is lost; after every
 * reconnection the node checks every session it holds against the table
 * (`stored`), so no revocation is missed for longer than a reconnection.
 */
import type { Session } from '../../auth/sessions.js';
import type { SessionRevocationListener, SessionsStore, StoredSession } from '../ports.js';
import { NotifyListener } from './notify-listener.js';
import { PgStore } from './pg-store.js';

/** The channel ended sessions are announced on: payload `<reason>\t<digest>,<digest>…`. */
export const SESSIONS_CHANNEL = 'hub_sessions';
/**
 * Digests per notification: PostgreSQL refuses a payload of 8,000 bytes or
 * more; a digest is 43 characters (base64url of SHA-256) plus a comma.
 */
const DIGESTS_PER_NOTICE = 150;

const REMOVE_AND_ANNOUNCE = `
WITH gone AS (DELETE FROM sessions WHERE digest = ANY($1::text[]))
SELECT pg_notify('${SESSIONS_CHANNEL}', $2)`;

/** `reason\tdigest,digest`; undefined for a payload that is not one (another writer's, or a future format). */
export function parseRevocation(payload: string | undefined): { digests: string[]; reason: string } | undefined {
  const tab = payload?.indexOf('\t') ?? -1;
  if (!payload || tab <= 0) return undefined;
  const digests = payload
    .slice(tab + 1)
    .split(',')
    .filter((d) => /^[A-Za-z0-9_-]{43}$/.test(d));
  return digests.length > 0 ? { reason: payload.slice(0, tab), digests } : undefined;
}

export class PgSessions extends PgStore implements SessionsStore {
  /** Listening connections of watchRevocations, ended by close() if their owner did not. */
  private readonly watchers = new Set<NotifyListener>();

  async load(now: number): Promise<StoredSession[]> {
    await this.open();
    await this.db.query('DELETE FROM sessions WHERE expires_at <= to_timestamp($1 / 1000.0)', [now]);
    const { rows } = await this.db.query<{ digest: string; body: Session }>('SELECT digest, body FROM sessions ORDER BY digest');
    return rows.map((r) => ({ digest: r.digest, session: r.body }));
  }

  put({ digest, session }: StoredSession): Promise<void> {
    return this.serial(() =>
      this.db.query(
        `INSERT INTO sessions (digest, user_id, expires_at, body) VALUES ($1, $2, to_timestamp($3 / 1000.0), $4::jsonb)
         ON CONFLICT (digest) DO UPDATE SET user_id = EXCLUDED.user_id, expires_at = EXCLUDED.expires_at, body = EXCLUDED.body`,
        [digest, session.userId, session.expiresAt, JSON.stringify(session)],
      ),
    );
  }

  /** Through the database the node's other stores hold open (a standby's registry); before that it throws, and the caller passes the request on. */
  async find(digest: string, now: number): Promise<StoredSession | undefined> {
    const sql = 'SELECT body FROM sessions WHERE digest = $1 AND expires_at > to_timestamp($2 / 1000.0)';
    const { rows } = await this.db.query<{ body: Session }>(sql, [digest, now]);
    return rows[0] ? { digest, session: rows[0].body } : undefined;
  }

  remove(digests: readonly string[]): Promise<void> {
    return this.serial(() => this.db.query('DELETE FROM sessions WHERE digest = ANY($1::text[])', [digests]));
  }

  /** Each chunk deleted and announced in one statement: the NOTIFY is sent when, and only if, its DELETE commits. */
  removeAndAnnounce(digests: readonly string[], reason: string): Promise<void> {
    const safeReason = reason.replace(/[\t\n]/g, ' ').slice(0, 100);
    return this.serial(async () => {
      for (let i = 0; i < digests.length; i += DIGESTS_PER_NOTICE) {
        const chunk = digests.slice(i, i + DIGESTS_PER_NOTICE);
        await this.db.query(REMOVE_AND_ANNOUNCE, [chunk, `${safeReason}\t${chunk.join(',')}`]);
      }
    });
  }

  /** Listens on its own connection (notify-listener.ts); a reconnection calls `listener(undefined)`: check with `stored`. */
  async watchRevocations(listener: SessionRevocationListener): Promise<{ close(): Promise<void> }> {
    await this.open();
    let started = false;
    const notices = new NotifyListener({
      db: this.db,
      channel: SESSIONS_CHANNEL,
      onWake: (payload) => {
        // Without a payload: after a (re)connection. Not the first one: nothing could be missed before this node listened.
        if (payload === undefined) return void (started && listener(undefined));
        const revoked = parseRevocation(payload);
        if (revoked) listener(revoked);
      },
    });
    this.watchers.add(notices);
    try {
      await notices.start();
    } catch (err) {
      this.watchers.delete(notices);
      throw err;
    }
    started = true;
    return {
      close: () => {
        this.watchers.delete(notices);
        return notices.close();
      },
    };
  }

  override async close(): Promise<void> {
    const watchers = [...this.watchers];
    this.watchers.clear();
    await Promise.all(watchers.map((w) => w.close()));
    await super.close();
  }

  async stored(digests: readonly string[], now: number): Promise<ReadonlySet<string>> {
    if (digests.length === 0) return new Set();
    const { rows } = await this.db.query<{ digest: string }>('SELECT digest FROM sessions WHERE digest = ANY($1::text[]) AND expires_at > to_timestamp($2 / 1000.0)', [digests, now]);
    return new Set(rows.map((r) => r.digest));
  }
}
