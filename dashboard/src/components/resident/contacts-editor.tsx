/**
 * A resident's contacts in call order (issue 13 item 3): name, relation,
 * phone, has keys, when they can be reached; moved up or down, added,
 * removed. The hub's 400 names `contacts.<i>.<field>`, shown at that field.
 */
import type { Contact } from '../../api/types.js';
import { t } from '../../i18n/index.js';
import { Field, invalid, type FormErrors } from '../../util/field-errors.js';

export interface ContactDraft {
  name: string;
  relation: string;
  phone: string;
  hasKeys: boolean;
  availability: string;
  /** Kept as it was: the notification settings are not edited here. */
  notify?: Contact['notify'];
}

export const MAX_CONTACTS = 10;

export function draftOf(c: Contact): ContactDraft {
  return { name: c.name, relation: c.relation ?? '', phone: c.phone, hasKeys: c.hasKeys, availability: c.availability ?? '', ...(c.notify ? { notify: c.notify } : {}) };
}

const opt = (s: string) => (s.trim() ? s.trim() : undefined);

export function contactOf(d: ContactDraft): Contact {
  return { name: d.name, relation: opt(d.relation), phone: d.phone, hasKeys: d.hasKeys, availability: opt(d.availability), ...(d.notify ? { notify: d.notify } : {}) };
}

const blank = (): ContactDraft => ({ name: '', relation: '', phone: '', hasKeys: false, availability: '' });

function move<T>(list: T[], from: number, to: number): T[] {
  const out = [...list];
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item!);
  return out;
}

export function ContactsEditor({ contacts, errors, onChange }: { contacts: ContactDraft[]; errors: FormErrors; onChange(next: ContactDraft[]): void }) {
  const set = (i: number, patch: Partial<ContactDraft>) => onChange(contacts.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  const text = (i: number, k: 'name' | 'relation' | 'phone' | 'availability', label: string) => {
    const path = `contacts.${i}.${k}`;
    return (
      <Field label={label} path={path} errors={errors}>
        <input name={`contact-${i}-${k}`} type="text" inputMode={k === 'phone' ? 'tel' : 'text'} value={contacts[i]![k]} onInput={(e) => set(i, { [k]: e.currentTarget.value })} {...invalid(errors, path)} />
      </Field>
    );
  };
  return (
    <fieldset class="card contacts-form" data-field="contacts">
      <legend>{t('install.contacts')}</legend>
      <p class="hint">{t('install.contactsHint')}</p>
      {contacts.map((c, i) => (
        <fieldset key={i} class="contact-draft" data-contact={i}>
          <legend>{t('install.contactN', { n: i + 1 })}</legend>
          {text(i, 'name', t('dispatch.name'))}
          {text(i, 'relation', t('install.relation'))}
          {text(i, 'phone', t('dispatch.phone'))}
          {text(i, 'availability', t('resident.availability'))}
          <label class="check">
            <input type="checkbox" name={`contact-${i}-keys`} checked={c.hasKeys} onChange={(e) => set(i, { hasKeys: e.currentTarget.checked })} /> {t('install.hasKeys')}
          </label>
          <div class="row-buttons">
            <button type="button" class="button-quiet" data-action="contact-up" disabled={i === 0} onClick={() => onChange(move(contacts, i, i - 1))} aria-label={t('resident.moveUpN', { n: i + 1 })}>
              ↑ {t('resident.moveUp')}
            </button>
            <button type="button" class="button-quiet" data-action="contact-down" disabled={i === contacts.length - 1} onClick={() => onChange(move(contacts, i, i + 1))} aria-label={t('resident.moveDownN', { n: i + 1 })}>
              ↓ {t('resident.moveDown')}
            </button>
            <button type="button" class="button-quiet" data-action="contact-remove" onClick={() => onChange(contacts.filter((_, j) => j !== i))}>
              {t('dispatch.removeN', { n: i + 1 })}
            </button>
          </div>
        </fieldset>
      ))}
      {contacts.length < MAX_CONTACTS && (
        <button type="button" data-action="add-contact" onClick={() => onChange([...contacts, blank()])}>
          {t('install.addContact')}
        </button>
      )}
    </fieldset>
  );
}
