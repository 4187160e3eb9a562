/**
 * Call-backs and proactive calls (issue 13 item 6): the operator's agenda of
 * today's and overdue calls, each logged with its outcome in place; the calls
 * due later; a form for a new call-back; and the recurring wellbeing calls.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { callbacksApi } from '../api/callbacks.js';
import type { CallbackOutcome, CallbackRecord } from '../api/types.js';
import { ActionError } from '../components/action-error.js';
import { homeLabel, HomePicker, localInputToIso } from '../components/home-picker.js';
import { WellbeingPlans } from '../components/wellbeing-plans.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { formatDateTime } from '../util/format.js';
import { useNow } from '../util/ticker.js';
import { errorText, useAction } from '../util/use-action.js';

const OUTCOMES: readonly CallbackOutcome[] = ['reached_ok', 'needs_help', 'no_answer'];

function LogCall({ callback, onDone }: { callback: CallbackRecord; onDone(): void }) {
  const [outcome, setOutcome] = useState<CallbackOutcome | ''>('');
  const [note, setNote] = useState('');
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!outcome) return;
    if (await action.run(async () => void (await callbacksApi.log(callback.id, outcome, note.trim() || undefined)))) onDone();
  };
  return (
    <form class="inline-form log-call" onSubmit={submit}>
      <select name="outcome" aria-label={t('callbacks.outcome')} required value={outcome} onChange={(e) => setOutcome(e.currentTarget.value as CallbackOutcome | '')}>
        <option value="">{t('callbacks.outcome')}</option>
        {OUTCOMES.map((o) => (
          <option key={o} value={o}>
            {tValue('callbackOutcome', o)}
          </option>
        ))}
      </select>
      <input name="note" aria-label={t('callbacks.note')} placeholder={t('callbacks.note')} maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      <button type="submit" data-action="log-call" disabled={action.busy || !outcome}>
        {t('callbacks.log')}
      </button>
      <ActionError error={action.error} />
    </form>
  );
}

export function CallbackTable({ callbacks, now, onChange }: { callbacks: readonly CallbackRecord[]; now: number; onChange?: () => void }) {
  if (callbacks.length === 0) return <p class="muted">{t('callbacks.empty')}</p>;
  return (
    <table class="report-table callback-table">
      <thead>
        <tr>
          <th scope="col">{t('callbacks.col.resident')}</th>
          <th scope="col">{t('callbacks.col.reason')}</th>
          <th scope="col">{t('callbacks.col.due')}</th>
          {onChange && <th scope="col">{t('callbacks.col.log')}</th>}
        </tr>
      </thead>
      <tbody>
        {callbacks.map((cb) => (
          <tr key={cb.id} data-callback-id={cb.id} data-reason={cb.reason} data-overdue={String(Date.parse(cb.dueAt) < now)}>
            <th scope="row">{homeLabel(cb.homeId)}</th>
            <td>
              {cb.alertId ? <a href={href.alert(cb.alertId)}>{tValue('callbackReason', cb.reason)}</a> : tValue('callbackReason', cb.reason)}
              {cb.note && <div class="muted">{cb.note}</div>}
            </td>
            <td>
              {formatDateTime(cb.dueAt)}
              {Date.parse(cb.dueAt) < now && <span class="tag tag-warn">{t('callbacks.overdue')}</span>}
              {cb.attempts.length > 0 && <div class="muted">{t('callbacks.attempts', { n: cb.attempts.length })}</div>}
            </td>
            {onChange && (
              <td>
                <LogCall callback={cb} onDone={onChange} />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ScheduleForm({ onDone }: { onDone(): void }) {
  const [homeId, setHomeId] = useState('');
  const [due, setDue] = useState('');
  const [note, setNote] = useState('');
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!homeId || !due) return;
    if (await action.run(async () => void (await callbacksApi.schedule(homeId, localInputToIso(due), note.trim() || undefined)))) {
      setNote('');
      onDone();
    }
  };
  return (
    <form class="card action schedule-form" onSubmit={submit} aria-labelledby="cb-schedule">
      <h2 id="cb-schedule">{t('callbacks.schedule')}</h2>
      <HomePicker name="callbackHome" value={homeId} onChange={setHomeId} />
      <label>
        {t('callbacks.dueAt')}
        <input type="datetime-local" name="dueAt" required value={due} onInput={(e) => setDue(e.currentTarget.value)} />
      </label>
      <label>
        {t('callbacks.note')}
        <input name="callbackNote" maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <button type="submit" data-action="schedule-callback" disabled={action.busy || !homeId || !due}>
        {t('callbacks.add')}
      </button>
      <ActionError error={action.error} />
    </form>
  );
}

export function CallbacksPage() {
  const now = useNow();
  const [agenda, setAgenda] = useState<CallbackRecord[] | undefined>();
  const [later, setLater] = useState<CallbackRecord[]>([]);
  const [error, setError] = useState<string | undefined>();
  const load = useCallback(() => {
    Promise.all([callbacksApi.list('agenda'), callbacksApi.list('pending')]).then(([today, pending]) => {
      setAgenda(today);
      setLater(pending.filter((cb) => !today.some((a) => a.id === cb.id)));
      setError(undefined);
    }, (err: unknown) => setError(errorText(err)));
  }, []);
  useEffect(load, [load]);
  return (
    <section class="callbacks-page" aria-labelledby="callbacks-title">
      <h1 id="callbacks-title">{t('callbacks.title')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <section class="card" aria-labelledby="cb-agenda" data-list="agenda">
        <h2 id="cb-agenda">{t('callbacks.agenda')}</h2>
        {agenda ? <CallbackTable callbacks={agenda} now={now} onChange={load} /> : <p class="loading">{t('common.loading')}</p>}
      </section>
      <section class="card" aria-labelledby="cb-later" data-list="later">
        <h2 id="cb-later">{t('callbacks.later')}</h2>
        <CallbackTable callbacks={later} now={now} />
      </section>
      <ScheduleForm onDone={load} />
      <WellbeingPlans onChange={load} />
    </section>
  );
}
