/**
 * Pass a claimed alert on (issue 13 item 7): release it back to the queue
 * (only before a dispatch: responders on the way need someone holding the
 * alert), or hand it over to another operator with a note for them.
 */
import { useState } from 'preact/hooks';
import { alertsApi } from '../api/alerts.js';
import type { User } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { presence } from '../live/index.js';
import { useAction } from '../util/use-action.js';
import { useStore } from '../util/use-store.js';
import { ActionError } from './action-error.js';
import type { ActionProps } from './alert-actions.js';

export function ShiftActions({ alert, user, onChange }: ActionProps & { user: User }) {
  const people = useStore(presence.list).filter((p) => `user:${p.username}` !== alert.acknowledgedBy);
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  const release = useAction();
  const hand = useAction();
  const handOver = async (e: Event) => {
    e.preventDefault();
    if (!to || !note.trim()) return;
    if (await hand.run(async () => onChange(await alertsApi.handOver(alert.id, to, note.trim())))) setNote('');
  };
  const mine = alert.acknowledgedBy === `user:${user.username}`;
  return (
    <div class="action shift-actions" data-holder={alert.acknowledgedBy}>
      <h3>{t('shift.title')}</h3>
      {alert.flags.stalled && (
        <p class="tag tag-warn stalled-note" data-flag="stalled" role="status">
          {t(alert.flags.stalled === 'supervisor' ? 'shift.stalledSupervisor' : 'shift.stalledHolder')}
        </p>
      )}
      {alert.status === 'acknowledged' && (
        <div>
          <button type="button" class="button-quiet" data-action="release" disabled={release.busy} onClick={() => void release.run(async () => onChange(await alertsApi.release(alert.id)))}>
            {t('shift.release')}
          </button>
          <p class="hint">{t('shift.releaseHint')}</p>
          <ActionError error={release.error} />
        </div>
      )}
      <form class="handover-form" onSubmit={handOver} data-mine={String(mine)}>
        <label>
          {t('shift.to')}
          <input name="handoverTo" list="handover-people" required maxLength={100} value={to} placeholder={t('shift.pick')} onInput={(e) => setTo(e.currentTarget.value.trim())} />
          <datalist id="handover-people">
            {people.map((p) => (
              <option key={p.username} value={p.username}>
                {`${p.username} · ${tValue('role', p.role)} · ${t(`presence.${p.state}`)}`}
              </option>
            ))}
          </datalist>
        </label>
        <label>
          {t('shift.note')}
          <textarea name="handoverNote" rows={2} required maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        <button type="submit" data-action="handover" disabled={hand.busy || !to || !note.trim()}>
          {t('shift.handOver')}
        </button>
        <ActionError error={hand.error} />
      </form>
    </div>
  );
}
