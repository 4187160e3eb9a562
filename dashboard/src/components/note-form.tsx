/** Add a note to the alert's timeline. */
import { useState } from 'preact/hooks';
import { alertsApi } from '../api/alerts.js';
import { t } from '../i18n/index.js';
import { useAction } from '../util/use-action.js';
import { ActionError } from './action-error.js';
import type { ActionProps } from './alert-actions.js';

export function NoteForm({ alert, onChange }: ActionProps) {
  const [text, setText] = useState('');
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const note = text.trim();
    if (!note) return;
    if (await action.run(async () => onChange(await alertsApi.addNote(alert.id, note)))) setText('');
  };
  return (
    <form class="action note-form" onSubmit={submit}>
      <label>
        {t('actions.note')}
        <textarea name="note" rows={2} maxLength={4000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <button type="submit" data-action="note" disabled={action.busy || !text.trim()}>
        {t('actions.addNote')}
      </button>
      <ActionError error={action.error} />
    </form>
  );
}
