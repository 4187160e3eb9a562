/** Close the alert with an outcome; only a person ever does this (DESIGN.md §4). */
import { useState } from 'preact/hooks';
import { alertsApi } from '../api/alerts.js';
import { OUTCOMES } from '../api/enums.js';
import type { Outcome } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { useAction } from '../util/use-action.js';
import { ActionError } from './action-error.js';
import type { ActionProps } from './alert-actions.js';

export function ResolveForm({ alert, onChange }: ActionProps) {
  const [outcome, setOutcome] = useState<Outcome | ''>('');
  const [note, setNote] = useState('');
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!outcome) return;
    await action.run(async () => onChange(await alertsApi.resolve(alert.id, outcome, note.trim() || undefined)));
  };
  return (
    <form class="action resolve-form" onSubmit={submit}>
      <h3>{t('actions.resolveTitle')}</h3>
      <label>
        {t('actions.outcome')}
        <select name="outcome" required value={outcome} onChange={(e) => setOutcome(e.currentTarget.value as Outcome | '')}>
          <option value="">{t('actions.chooseOutcome')}</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {tValue('outcome', o)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('actions.resolveNote')}
        <input name="resolveNote" maxLength={4000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <button type="submit" data-action="resolve" disabled={action.busy || !outcome}>
        {t('actions.resolve')}
      </button>
      <ActionError error={action.error} />
    </form>
  );
}
