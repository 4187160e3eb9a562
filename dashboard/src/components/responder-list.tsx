/** The responders sent so far, each moved forward as they report in: notified → accepted → on scene → done. */
import { alertsApi } from '../api/alerts.js';
import { RESPONDER_STATES } from '../api/enums.js';
import type { Alert, Responder } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { actorName, formatTime } from '../util/format.js';
import { useAction } from '../util/use-action.js';
import { ActionError } from './action-error.js';

function nextState(r: Responder) {
  return RESPONDER_STATES[RESPONDER_STATES.indexOf(r.state) + 1];
}

function ResponderItem({ alert, responder, canAct, onChange }: { alert: Alert; responder: Responder; canAct: boolean; onChange(a: Alert): void }) {
  const action = useAction();
  const next = nextState(responder);
  const advance = () => next && action.run(async () => onChange(await alertsApi.updateResponder(alert.id, responder.id, next)));
  return (
    <li class="responder" data-responder-id={responder.id} data-state={responder.state}>
      <div class="responder-main">
        <span class="responder-kind">{tValue('responder', responder.kind)}</span>
        <strong>{responder.name}</strong>
        {responder.phone && <a href={`tel:${responder.phone.replace(/[^+0-9]/g, '')}`}>{responder.phone}</a>}
        <span class={`tag state-${responder.state}`}>{tValue('responderState', responder.state)}</span>
        {responder.late && (
          <span class="tag tag-warn" data-flag="late">
            {t('responders.late')}
          </span>
        )}
      </div>
      <div class="responder-meta">
        {t('responders.addedBy', { who: actorName(responder.addedBy), at: formatTime(responder.addedAt) })}
        {responder.updatedAt !== responder.addedAt && ` · ${t('responders.updatedAt', { at: formatTime(responder.updatedAt) })}`}
      </div>
      {canAct && next && alert.status !== 'resolved' && (
        <button type="button" class="button-quiet" data-action="advance-responder" disabled={action.busy} onClick={() => void advance()}>
          {t('responders.markAs', { state: tValue('responderState', next) })}
        </button>
      )}
      <ActionError error={action.error} />
    </li>
  );
}

export function ResponderList({ alert, canAct, onChange }: { alert: Alert; canAct: boolean; onChange(a: Alert): void }) {
  if (alert.responders.length === 0) return null;
  return (
    <section class="card" aria-labelledby="responders-title">
      <h2 id="responders-title">{t('responders.title')}</h2>
      <ul class="responders">
        {alert.responders.map((r) => (
          <ResponderItem key={r.id} alert={alert} responder={r} canAct={canAct} onChange={onChange} />
        ))}
      </ul>
    </section>
  );
}
