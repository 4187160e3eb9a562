/**
 * One alert as a family member sees it (family-page.tsx): what it is, what is
 * being done (who took it, who is on the way), where the wearer is while it is
 * open, and one big "I'm on my way".
 */
import { useState } from 'preact/hooks';
import { ApiError, post } from '../api/http.js';
import type { NamedAlert, Responder, User } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import type { ShownAlert } from '../pages/use-family-view.js';
import { formatAgo, formatDateTime, formatTime } from '../util/format.js';
import { errorText } from '../util/use-action.js';
import { DrillTag } from './drill-tag.js';
import { LocationCard } from './location-card.js';

function statusLine(alert: ShownAlert): string {
  switch (alert.status) {
    case 'open':
      return t('family.state.open');
    case 'acknowledged':
      return t('family.state.acknowledged', { who: alert.acknowledgedByName ?? t('family.anOperator') });
    case 'dispatched':
      return t('family.state.dispatched', { who: alert.acknowledgedByName ?? t('family.anOperator') });
    case 'resolved':
      return t('family.state.resolved', { outcome: alert.outcome ? tValue('outcome', alert.outcome) : '' });
  }
}

function ResponderLine({ r, me }: { r: Responder; me: boolean }) {
  return (
    <li class="family-responder" data-state={r.state} data-kind={r.kind}>
      <span class="fr-who">
        {tValue('responder', r.kind)}: <strong>{me ? t('family.you') : r.name}</strong>
      </span>{' '}
      <span class={`tag state-${r.state}`}>{tValue('responderState', r.state)}</span>{' '}
      <span class="muted">{formatTime(r.updatedAt)}</span>
    </li>
  );
}

export function FamilyAlertCard({ alert, user, onChange, now, who }: { alert: ShownAlert; user: User; onChange(a: NamedAlert): void; now: number; who?: string | undefined }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const actor = `user:${user.username}`;
  const mine = alert.responders.some((r) => r.addedBy === actor && r.state !== 'done');
  const open = alert.status !== 'resolved';
  const onMyWay = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onChange(await post<NamedAlert>(`/alerts/${encodeURIComponent(alert.id)}/on-my-way`, {}));
    } catch (err) {
      // 409 "already on your way" (another of their devices pressed it): show it as pressed.
      setError(err instanceof ApiError && err.status === 409 ? err.message : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class={`family-alert sev-${alert.severity}`} data-alert-id={alert.id} data-status={alert.status}>
      <div class="fa-head">
        <span class={`sev-badge sev-${alert.severity}`}>{tValue('severity', alert.severity)}</span>
        <strong class="fa-kind">{tValue('kind', alert.kind)}</strong>
        <DrillTag alert={alert} />
        {who && <span class="fa-who">{who}</span>}
        <time dateTime={alert.raisedAt} title={formatDateTime(alert.raisedAt)}>
          {open ? formatAgo(alert.raisedAt, now) : formatDateTime(alert.raisedAt)}
        </time>
      </div>
      <p class="fa-state" data-field="state">
        {statusLine(alert)}
      </p>
      {open && <LocationCard alert={alert} headingLevel={3} />}
      {alert.responders.length > 0 && (
        <ul class="family-responders" aria-label={t('family.responders')}>
          {alert.responders.map((r) => (
            <ResponderLine key={r.id} r={r} me={r.addedBy === actor} />
          ))}
        </ul>
      )}
      {open && (
        <button type="button" class="button-primary button-huge" data-action="on-my-way" disabled={busy || mine} aria-pressed={mine} onClick={() => void onMyWay()}>
          {mine ? t('family.onMyWayDone') : busy ? t('family.onMyWayBusy') : t('family.onMyWay')}
        </button>
      )}
      {open && !mine && <p class="hint">{t('family.onMyWayHint')}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
