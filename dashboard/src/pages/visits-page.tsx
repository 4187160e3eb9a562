/**
 * A community worker's visits (探访, issue 5): the special-hardship residents
 * still due a visit this month, overdue first (never visited, then the
 * longest since the last visit); the visit form (when, who, how the resident
 * is, notes, follow-up); a confirmation that says whether operators were
 * alerted; and the visits already logged this month.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api/http.js';
import type { DueResident, User, VisitRecord } from '../api/types.js';
import { VisitForm } from '../components/visit-form.js';
import { t, tValue } from '../i18n/index.js';
import { formatDateTime, formatMonth } from '../util/format.js';
import { errorText } from '../util/use-action.js';

interface Due {
  month: string;
  timezone: string;
  due: DueResident[];
}

function lastVisitText(r: DueResident): string {
  if (r.lastCompletedVisitAt === null) return t('visits.never');
  return t('visits.daysAgo', { n: r.daysSinceLastVisit ?? 0 });
}

function Confirmation({ visit, name, onNext }: { visit: VisitRecord; name: string; onNext(): void }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), [visit.id]);
  return (
    <section class="card visit-confirmation" role="status" data-visit-id={visit.id} aria-labelledby="visit-done-title">
      <h2 id="visit-done-title" tabIndex={-1} ref={ref}>
        {t('visits.logged', { name })}
      </h2>
      <p>
        {formatDateTime(visit.visitedAt)} · {tValue('visitCondition', visit.condition)} · {visit.visitor}
      </p>
      {visit.followUpAlertId ? (
        <p class="follow-up-raised" data-alert-id={visit.followUpAlertId}>
          {t('visits.followUpRaised')}
        </p>
      ) : (
        <p class="muted">{t('visits.noFollowUp')}</p>
      )}
      {visit.condition === 'not_home' && <p class="muted">{t('visits.notHomeStillDue')}</p>}
      <button type="button" onClick={onNext}>
        {t('visits.next')}
      </button>
    </section>
  );
}

/** The residents due a visit this month and the visits logged this month, re-read after each visit. */
function useVisits() {
  const [due, setDue] = useState<Due | undefined>();
  const [done, setDone] = useState<VisitRecord[]>([]);
  const [error, setError] = useState<string | undefined>();
  // GET /visits carries no names and visitors may not read /homes: remember every name the due list showed.
  const names = useRef(new Map<string, string>()).current;

  const load = useCallback(() => {
    get<Due>('/visits/due').then(
      (d) => {
        for (const r of d.due) names.set(r.residentId, r.name);
        setDue(d);
        setError(undefined);
        return get<{ visits: VisitRecord[] }>(`/visits?month=${encodeURIComponent(d.month)}&limit=100`).then((v) => setDone(v.visits));
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, []);
  useEffect(load, [load]);
  return { due, done, error, names, load };
}

export function VisitsPage({ user }: { user: User }) {
  const { due, done, error, names, load } = useVisits();
  const [selected, setSelected] = useState<DueResident | undefined>();
  const [logged, setLogged] = useState<{ visit: VisitRecord; name: string } | undefined>();

  return (
    <section class="visits-page" data-page="visits" aria-labelledby="visits-title">
      <div class="page-toolbar">
        <h1 id="visits-title">{t('visits.title', { month: due ? formatMonth(due.month) : '' })}</h1>
        {due && (
          <span class="muted" aria-live="polite">
            {t('visits.dueCount', { n: due.due.length })}
          </span>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="visits-grid">
        <DueList
          due={due}
          error={error}
          selected={selected}
          onStart={(r) => {
            setLogged(undefined);
            setSelected(r);
          }}
        />
        <div class="visits-side">
          {logged && (
            <Confirmation
              visit={logged.visit}
              name={logged.name}
              onNext={() => {
                setLogged(undefined);
                document.querySelector<HTMLElement>('.due-row button')?.focus();
              }}
            />
          )}
          {selected && (
            <VisitForm
              key={selected.residentId}
              resident={selected}
              user={user}
              onCancel={() => setSelected(undefined)}
              onLogged={(visit) => {
                setLogged({ visit, name: selected.name });
                setSelected(undefined);
                load();
              }}
            />
          )}
          {!selected && !logged && <p class="card muted">{t('visits.pick')}</p>}
          <DoneList done={done} names={names} />
        </div>
      </div>
    </section>
  );
}

/** Who is due a visit, overdue first, each with its "log a visit" button. */
function DueList({ due, error, selected, onStart }: { due: Due | undefined; error: string | undefined; selected: DueResident | undefined; onStart(r: DueResident): void }) {
  return (
    <section class="card" aria-labelledby="due-title">
      <h2 id="due-title">{t('visits.due')}</h2>
      {!due && !error && <p class="loading">{t('common.loading')}</p>}
      {due && due.due.length === 0 && <p class="ok-text">{t('visits.allDone')}</p>}
      <ol class="due-list">
        {(due?.due ?? []).map((r) => (
          <li key={r.residentId} class={`due-row ${r.lastCompletedVisitAt === null ? 'is-never' : ''}`} data-resident-id={r.residentId} aria-current={selected?.residentId === r.residentId ? 'true' : undefined}>
            <div class="due-main">
              <strong>{r.name}</strong>
              <span class="muted">
                {r.address}
                {r.community ? ` · ${r.community}` : ''}
              </span>
            </div>
            <div class="due-meta">
              <span class={r.lastCompletedVisitAt === null ? 'tag tag-warn' : 'tag'}>{lastVisitText(r)}</span>
              {r.notHomeAttempts > 0 && <span class="tag">{t('visits.notHomeAttempts', { n: r.notHomeAttempts })}</span>}
            </div>
            <button type="button" data-action="start-visit" onClick={() => onStart(r)}>
              {t('visits.log')}
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}

function DoneList({ done, names }: { done: VisitRecord[]; names: Map<string, string> }) {
  return (
    <section class="card" aria-labelledby="done-title">
      <h2 id="done-title">{t('visits.doneThisMonth', { n: done.length })}</h2>
      {done.length === 0 ? (
        <p class="muted">{t('visits.noneYet')}</p>
      ) : (
        <ul class="done-list">
          {done.map((v) => (
            <li key={v.id} data-visit-id={v.id}>
              <span>{formatDateTime(v.visitedAt)}</span> <strong>{names.get(v.residentId) ?? t('visits.aResident')}</strong> <span class={`tag cond-${v.condition}`}>{tValue('visitCondition', v.condition)}</span>{' '}
              <span class="muted">{v.visitor}</span>
              {v.followUpAlertId && <span class="tag tag-warn">{t('visits.followUpTag')}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
