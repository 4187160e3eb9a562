/**
 * Login sessions on PostgreSQL (SessionsStore): one row per session, keyed by
 * the SHA-256 digest of its token, so a restart keeps operators logged in and
 * a revocation is gone for good. Expired rows are deleted when the hub loads.
 */
import type { Session } from '../../auth/sessions.js';
import type { SessionsStore, StoredSession } from '../ports.js';
import { PgStore } from './pg-store.js';

export class PgSessions extends PgStore implements SessionsStore {
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
}
