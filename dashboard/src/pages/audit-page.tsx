/**
 * The audit (supervisors and admins): every recorded action, newest first,
 * filtered by action prefix, actor or target (an alert id shows one alert's
 * whole story).
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from '../api/http.js';
import type { AuditEntry } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { actorName, formatDateTime } from '../util/format.js';
import { errorText } from '../util/use-action.js';
import { NotAllowed } from './not-allowed.js';

interface Query {
  action: string;
  actor: string;
  target: string;
}

function queryString(q: Query): string {
  const params = new URLSearchParams({ limit: '500' });
  if (q.action.trim()) params.set('action', q.action.trim());
  // The hub matches actors exactly (`user:li.na`); people type the name.
  if (q.actor.trim()) params.set('actor', q.actor.includes(':') ? q.actor.trim() : `user:${q.actor.trim()}`);
  if (q.target.trim()) params.set('target', q.target.trim());
  return params.toString();
}

function detailText(detail: Record<string, unknown> | undefined): string {
  if (!detail) return '';
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** The entries of a query, read again on each apply (`reload`); `forbidden` when the role may not read the audit. */
function useAudit(query: Query, reload: number) {
  const [entries, setEntries] = useState<AuditEntry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [forbidden, setForbidden] = useState(false);
  useEffect(() => {
    let live = true;
    get<{ entries: AuditEntry[] }>(`/audit?${queryString(query)}`).then(
      (res) => live && (setEntries(res.entries), setError(undefined)),
      (err: unknown) => live && (err instanceof ApiError && err.status === 403 ? setForbidden(true) : setError(errorText(err))),
    );
    return () => {
      live = false;
    };
  }, [query, reload]);
  return { entries, error, forbidden };
}

export function AuditPage() {
  const [query, setQuery] = useState<Query>({ action: '', actor: '', target: '' });
  const [reload, setReload] = useState(0);
  const { entries, error, forbidden } = useAudit(query, reload);

  if (forbidden) return <NotAllowed />;
  return (
    <section class="audit-page" aria-labelledby="audit-title">
      <AuditFilters
        initial={query}
        onApply={(q) => {
          setQuery(q);
          setReload((n) => n + 1);
        }}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="table-wrap">
        <AuditTable entries={entries ?? []} />
        {entries && entries.length === 0 && <p class="muted">{t('audit.none')}</p>}
        {!entries && !error && <p class="muted">{t('common.loading')}</p>}
      </div>
    </section>
  );
}

/** The title and the filters, applied together. */
function AuditFilters({ initial, onApply }: { initial: Query; onApply(q: Query): void }) {
  const [draft, setDraft] = useState<Query>(initial);
  const field = (name: keyof Query) => ({
    name,
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.currentTarget as HTMLInputElement).value }),
  });
  return (
    <form
      class="page-toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        onApply({ ...draft });
      }}
    >
      <h1 id="audit-title">{t('audit.title')}</h1>
      <label>
        {t('audit.action')} <input {...field('action')} placeholder="alert." />
      </label>
      <label>
        {t('audit.actor')} <input {...field('actor')} />
      </label>
      <label>
        {t('audit.target')} <input {...field('target')} />
      </label>
      <button type="submit">{t('audit.apply')}</button>
    </form>
  );
}

function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <table class="audit">
      <thead>
        <tr>
          <th scope="col">{t('audit.col.at')}</th>
          <th scope="col">{t('audit.col.action')}</th>
          <th scope="col">{t('audit.col.actor')}</th>
          <th scope="col">{t('audit.col.target')}</th>
          <th scope="col">{t('audit.col.detail')}</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e, i) => (
          <tr key={`${e.at}-${i}`} data-action={e.action}>
            <td>
              <time dateTime={e.at}>{formatDateTime(e.at)}</time>
            </td>
            <td title={e.action}>{tValue('audit', e.action)}</td>
            <td class="audit-actor">{actorName(e.actor)}</td>
            <td class="mono">{e.target ?? ''}</td>
            <td class="audit-detail">{detailText(e.detail)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
