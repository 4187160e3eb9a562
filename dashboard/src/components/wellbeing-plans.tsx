/** Recurring wellbeing calls (issue 13 item 6; Televida's proactive calls): start one per home, end it. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { callbacksApi } from '../api/callbacks.js';
import type { WellbeingPlan } from '../api/types.js';
import { t } from '../i18n/index.js';
import { formatDateTime } from '../util/format.js';
import { errorText, useAction } from '../util/use-action.js';
import { ActionError } from './action-error.js';
import { homeLabel, HomePicker, localInputToIso } from './home-picker.js';

function PlanForm({ onDone }: { onDone(): void }) {
  const [homeId, setHomeId] = useState('');
  const [every, setEvery] = useState('7');
  const [first, setFirst] = useState('');
  const [note, setNote] = useState('');
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!homeId || !first) return;
    if (await action.run(async () => void (await callbacksApi.setPlan(homeId, Number(every), localInputToIso(first), note.trim() || undefined)))) onDone();
  };
  return (
    <form class="action plan-form" onSubmit={submit}>
      <HomePicker name="planHome" value={homeId} onChange={setHomeId} />
      <label>
        {t('plans.everyDays')}
        <input type="number" name="everyDays" min={1} max={90} required value={every} onInput={(e) => setEvery(e.currentTarget.value)} />
      </label>
      <label>
        {t('plans.firstDue')}
        <input type="datetime-local" name="firstDueAt" required value={first} onInput={(e) => setFirst(e.currentTarget.value)} />
      </label>
      <label>
        {t('callbacks.note')}
        <input name="planNote" maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <button type="submit" data-action="start-plan" disabled={action.busy || !homeId || !first}>
        {t('plans.add')}
      </button>
      <ActionError error={action.error} />
    </form>
  );
}

function EndPlan({ plan, onDone }: { plan: WellbeingPlan; onDone(): void }) {
  const action = useAction();
  return (
    <>
      <button type="button" class="button-quiet" data-action="end-plan" disabled={action.busy} onClick={() => void action.run(async () => void (await callbacksApi.endPlan(plan.id))).then((ok) => ok && onDone())}>
        {t('plans.end')}
      </button>
      <ActionError error={action.error} />
    </>
  );
}

export function WellbeingPlans({ onChange }: { onChange(): void }) {
  const [plans, setPlans] = useState<WellbeingPlan[]>([]);
  const [error, setError] = useState<string | undefined>();
  const load = useCallback(() => {
    callbacksApi.plans().then(setPlans, (err: unknown) => setError(errorText(err)));
  }, []);
  useEffect(load, [load]);
  const changed = () => {
    load();
    onChange();
  };
  return (
    <section class="card wellbeing-plans" aria-labelledby="plans-title">
      <h2 id="plans-title">{t('plans.title')}</h2>
      {error && <p class="error">{error}</p>}
      {plans.length === 0 ? (
        <p class="muted">{t('plans.empty')}</p>
      ) : (
        <ul class="plans">
          {plans.map((p) => (
            <li key={p.id} data-plan-id={p.id}>
              <strong>{homeLabel(p.homeId)}</strong> · {t('plans.every', { n: p.everyDays })} · {formatDateTime(p.firstDueAt)}
              {p.note && <span class="muted"> · {p.note}</span>} <EndPlan plan={p} onDone={changed} />
            </li>
          ))}
        </ul>
      )}
      <PlanForm onDone={changed} />
    </section>
  );
}
