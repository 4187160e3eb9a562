/** The operator's actions for where the alert stands now (open → acknowledged → dispatched → resolved). */
import type { Alert, HomeDetail, User } from '../api/types.js';
import { SILENCEABLE_KINDS } from '../api/enums.js';
import { t } from '../i18n/index.js';
import { AcknowledgeAction } from './acknowledge-action.js';
import { DispatchForm } from './dispatch-form.js';
import { NoteForm } from './note-form.js';
import { ResolveForm } from './resolve-form.js';
import { ShiftActions } from './shift-actions.js';
import { SilenceAction } from './silence-action.js';
import { alertContacts } from '../util/who.js';

export interface ActionProps {
  alert: Alert;
  onChange(alert: Alert): void;
}

export function AlertActions({ alert, home, user, onChange }: ActionProps & { home: HomeDetail | undefined; user: User }) {
  const handling = alert.status === 'acknowledged' || alert.status === 'dispatched';
  return (
    <section class="card actions" aria-labelledby="actions-title">
      <h2 id="actions-title">{t('actions.title')}</h2>
      {alert.status === 'open' && <AcknowledgeAction alert={alert} onChange={onChange} />}
      {SILENCEABLE_KINDS.has(alert.kind) && alert.status !== 'resolved' && <SilenceAction alert={alert} onChange={onChange} />}
      {handling && <DispatchForm alert={alert} contacts={alertContacts(alert, home)} onChange={onChange} />}
      {handling && <ResolveForm alert={alert} onChange={onChange} />}
      {handling && <ShiftActions alert={alert} user={user} onChange={onChange} />}
      {alert.status === 'resolved' && <p class="muted">{t('actions.resolved')}</p>}
      <NoteForm alert={alert} onChange={onChange} />
    </section>
  );
}
