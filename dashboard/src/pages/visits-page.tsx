/**
 * A community worker's visits (探访, issue 5): the special-hardship residents
 * still due a visit this month, overdue first (never visited, then the
 * longest since the last visit); the visit form (when, who, how the resident
 * is, notes, follow-up); a confirmation that says whether operators were
 * alerted; and the visits already logged this month.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../api/http.js';
import { VISIT_CONDITIONS } from '../api/enums.js';
import type { DueResident, User, VisitCondition, VisitRecord } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { Field, FormError, invalid, withoutField, useFormAction } from '../util/field-errors.js';
import { formatDateTime, formatMonth } from '../util/format.js';
import { errorText } from '../util/use-action.js';

interface Due {
  month: string;
  timezone: string;
  due: DueResident[];
}

const pad = (n: number) => String(n).padStart(2, '0');
/** Now as a datetime-local value (the browser's local time). */
function localNow(): string {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function lastVisitText(r: DueResident): string {
  if (r.lastCompletedVisitAt === null) return t('visits.never');
  return t('visits.daysAgo', { n: r.daysSinceLastVisit ?? 0 });
}

const FIELDS = new Set(['residentId', 'visitedAt', 'visitor', 'condition', 'notes', 'followUp']);

function VisitForm({ resident, user, onLogged, onCancel }: { resident: DueResident; user: User; onLogged(v: VisitRecord): void; onCancel(): void }) {
  const [visitedAt, setVisitedAt] = useState(localNow);
  const [visitor, setVisitor] = useState(user.displayName);
  const [condition, setCondition] = useState<VisitCondition | ''>('');
  const [notes, setNotes] = useState('');
  const [followUp, setFollowUp] = useState(false);
  const { busy, errors, setErrors, run } = useFormAction((p) => FIELDS.has(p));
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), [resident.residentId]);

  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const at = new Date(visitedAt);
      const visit = await post<VisitRecord>('/visits', {
        residentId: resident.residentId,
        // An unreadable date goes to the hub as typed, so its message lands next to the field.
        visitedAt: Number.isNaN(at.getTime()) ? visitedAt : at.toISOString(),
        visitor: visitor.trim() || undefined,
        condition: condition || undefined,
        notes: notes.trim() || undefined,
        followUp,
        });
        onLogged(visit);
    });
  };

  return (
    <form class="card visit-form" onSubmit={submit} aria-labelledby="visit-form-title" data-resident-id={resident.residentId} noValidate>
      <h2 id="visit-form-title" tabIndex={-1} ref={headingRef}>
        {t('visits.formTitle', { name: resident.name })}
      </h2>
      <p class="muted">{resident.address}</p>
      <div class="form-row">
        <Field label={t('visits.when')} path="visitedAt" errors={errors}>
          <input type="datetime-local" name="visitedAt" value={visitedAt} max={localNow()} onInput={(e) => setVisitedAt(e.currentTarget.value)} {...invalid(errors, 'visitedAt')} />
        </Field>
        <Field label={t('visits.who')} path="visitor" errors={errors}>
          <input name="visitor" value={visitor} onInput={(e) => setVisitor(e.currentTarget.value)} {...invalid(errors, 'visitor')} />
        </Field>
      </div>
      <fieldset class="conditions visit-condition" data-field="condition" {...invalid(errors, 'condition')}>
        <legend>{t('visits.condition')}</legend>
        {VISIT_CONDITIONS.map((c) => (
          <label key={c} class={`check choice choice-${c}`}>
            <input
              type="radio"
              name="condition"
              value={c}
              checked={condition === c}
              onChange={() => {
                setCondition(c);
                setErrors(withoutField(errors, 'condition'));
              }}
            />{' '}
            {tValue('visitCondition', c)}
          </label>
        ))}
        {errors.fields.condition && <span class="field-error">{errors.fields.condition}</span>}
      </fieldset>
      <Field label={t('visits.notes')} path="notes" errors={errors}>
        <textarea name="notes" rows={3} value={notes} onInput={(e) => setNotes(e.currentTarget.value)} {...invalid(errors, 'notes')} />
      </Field>
      <label class="check">
        <input type="checkbox" name="followUp" checked={followUp} onChange={(e) => setFollowUp(e.currentTarget.checked)} /> {t('visits.followUp')}
      </label>
      <p class="hint">{condition === 'needs_help' ? t('visits.needsHelpHint') : t('visits.followUpHint')}</p>
      <FormError errors={errors} />
      <div class="row-buttons">
        <button type="submit" class="button-primary" data-action="log-visit" disabled={busy}>
          {busy ? t('common.saving') : t('visits.submit')}
        </button>
        <button type="button" class="button-quiet" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
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

export function VisitsPage({ user }: { user: User }) {
  const [due, setDue] = useState<Due | undefined>();
  const [done, setDone] = useState<VisitRecord[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<DueResident | undefined>();
  const [logged, setLogged] = useState<{ visit: VisitRecord; name: string } | undefined>();
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
                <button
                  type="button"
                  data-action="start-visit"
                  onClick={() => {
                    setLogged(undefined);
                    setSelected(r);
                  }}
                >
                  {t('visits.log')}
                </button>
              </li>
            ))}
          </ol>
        </section>
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
        </div>
      </div>
    </section>
  );
}
