/**
 * Send one or more responders. The resident's contacts are one click away
 * (family, in the resident's order); anyone else is typed in.
 */
import { useState } from 'preact/hooks';
import { alertsApi, type NewResponder } from '../api/alerts.js';
import { RESPONDER_KINDS } from '../api/enums.js';
import type { Contact, ResponderKind } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { useAction } from '../util/use-action.js';
import { ActionError } from './action-error.js';
import type { ActionProps } from './alert-actions.js';

interface Draft {
  key: number;
  kind: ResponderKind;
  name: string;
  phone: string;
}

let nextKey = 1;
const blank = (kind: ResponderKind = 'community_worker'): Draft => ({ key: nextKey++, kind, name: '', phone: '' });

function toResponder(d: Draft): NewResponder {
  const phone = d.phone.trim();
  return phone ? { kind: d.kind, name: d.name.trim(), phone } : { kind: d.kind, name: d.name.trim() };
}

export function DispatchForm({ alert, contacts, onChange }: ActionProps & { contacts: readonly Contact[] }) {
  const [drafts, setDrafts] = useState<Draft[]>(() => [blank()]);
  const action = useAction();
  const set = (key: number, patch: Partial<Draft>) => setDrafts((ds) => ds.map((d) => (d.key === key ? { ...d, ...patch } : d)));
  const addContact = (c: Contact) =>
    setDrafts((ds) => [...ds.filter((d) => d.name.trim() !== ''), { key: nextKey++, kind: 'family', name: c.relation ? `${c.name} (${c.relation})` : c.name, phone: c.phone }]);
  const ready = drafts.filter((d) => d.name.trim() !== '');

  const submit = async (e: Event) => {
    e.preventDefault();
    if (ready.length === 0) return;
    if (await action.run(async () => onChange(await alertsApi.dispatch(alert.id, ready.map(toResponder))))) setDrafts([blank()]);
  };

  return (
    <form class="action dispatch-form" onSubmit={submit} aria-labelledby="dispatch-title">
      <h3 id="dispatch-title">{t('dispatch.title')}</h3>
      {contacts.length > 0 && <QuickContacts contacts={contacts} onAdd={addContact} />}
      {drafts.map((d, i) => (
        <ResponderDraft key={d.key} draft={d} n={i + 1} removable={drafts.length > 1} onSet={(patch) => set(d.key, patch)} onRemove={() => setDrafts((ds) => ds.filter((x) => x.key !== d.key))} />
      ))}
      <div class="row-buttons">
        <button type="button" class="button-quiet" onClick={() => setDrafts((ds) => [...ds, blank()])} disabled={drafts.length >= 10}>
          {t('dispatch.addAnother')}
        </button>
        <button type="submit" data-action="dispatch" disabled={action.busy || ready.length === 0}>
          {t('dispatch.submit', { n: ready.length })}
        </button>
      </div>
      <ActionError error={action.error} />
    </form>
  );
}

/** The resident's contacts, one click each. */
function QuickContacts({ contacts, onAdd }: { contacts: readonly Contact[]; onAdd(c: Contact): void }) {
  return (
    <div class="quick-contacts" role="group" aria-label={t('dispatch.fromContacts')}>
      {contacts.map((c, i) => (
        <button type="button" key={i} class="button-quiet" onClick={() => onAdd(c)}>
          + {c.name}
          {c.relation ? ` (${c.relation})` : ''}
        </button>
      ))}
    </div>
  );
}

/** One responder being typed in: kind, name, phone; removable when there are several. */
function ResponderDraft({ draft: d, n, removable, onSet, onRemove }: { draft: Draft; n: number; removable: boolean; onSet(patch: Partial<Draft>): void; onRemove(): void }) {
  return (
    <fieldset class="responder-draft">
      <legend class="visually-hidden">{t('dispatch.responderN', { n })}</legend>
      <label>
        {t('dispatch.kind')}
        <select name="kind" value={d.kind} onChange={(e) => onSet({ kind: e.currentTarget.value as ResponderKind })}>
          {RESPONDER_KINDS.map((k) => (
            <option key={k} value={k}>
              {tValue('responder', k)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('dispatch.name')}
        <input name="name" maxLength={100} value={d.name} onInput={(e) => onSet({ name: e.currentTarget.value })} />
      </label>
      <label>
        {t('dispatch.phone')}
        <input name="phone" type="tel" maxLength={30} value={d.phone} onInput={(e) => onSet({ phone: e.currentTarget.value })} />
      </label>
      {removable && (
        <button type="button" class="button-quiet" aria-label={t('dispatch.removeN', { n })} onClick={onRemove}>
          ×
        </button>
      )}
    </fieldset>
  );
}
