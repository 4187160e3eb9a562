/**
 * The three parts of the new-home form (install-new-page.tsx): the home, its
 * resident, and the contacts to call. Each edits the one draft and shows the
 * hub's message next to the field it names.
 */
import { CONDITIONS } from '../api/enums.js';
import { t, tValue } from '../i18n/index.js';
import { CheckboxGroup } from '../components/checkbox-group.js';
import { Field, invalid, type FormErrors } from '../util/field-errors.js';
import { emptyContact, type ContactDraft, type Draft } from './install-new-draft.js';

interface SectionProps {
  draft: Draft;
  setDraft: (draft: Draft) => void;
  errors: FormErrors;
}

export function HomeFieldset({ draft, setDraft, errors }: SectionProps) {
  const setHome = (k: 'name' | 'address' | 'community') => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  return (
    <fieldset class="card">
      <legend>{t('install.home')}</legend>
      <div class="form-grid">
        <Field label={t('install.homeName')} path="name" errors={errors}>
          <input name="name" value={draft.name} onInput={setHome('name')} {...invalid(errors, 'name')} />
        </Field>
        <Field label={t('install.address')} path="address" errors={errors} class="wide">
          <input name="address" value={draft.address} onInput={setHome('address')} {...invalid(errors, 'address')} />
        </Field>
        <Field label={t('install.community')} path="community" errors={errors}>
          <input name="community" value={draft.community} onInput={setHome('community')} {...invalid(errors, 'community')} />
        </Field>
      </div>
    </fieldset>
  );
}

export function ResidentFieldset({ draft, setDraft, errors }: SectionProps) {
  const r = draft.resident;
  const setRes = (k: keyof Omit<Draft['resident'], 'conditions' | 'specialHardship'>) => (e: Event) =>
    setDraft({ ...draft, resident: { ...draft.resident, [k]: (e.currentTarget as HTMLInputElement).value } });
  return (
    <fieldset class="card">
      <legend>{t('install.resident')}</legend>
      <div class="form-grid">
        <Field label={t('install.residentName')} path="resident.name" errors={errors}>
          <input name="resident.name" value={r.name} onInput={setRes('name')} {...invalid(errors, 'resident.name')} />
        </Field>
        <Field label={t('install.birthYear')} path="resident.birthYear" errors={errors}>
          <input name="resident.birthYear" inputMode="numeric" value={r.birthYear} onInput={setRes('birthYear')} {...invalid(errors, 'resident.birthYear')} />
        </Field>
        <Field label={t('install.gender')} path="resident.gender" errors={errors}>
          <select name="resident.gender" value={r.gender} onChange={setRes('gender')}>
            <option value="">—</option>
            {['female', 'male', 'other'].map((g) => (
              <option key={g} value={g}>
                {tValue('gender', g)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('install.phone')} path="resident.phone" errors={errors}>
          <input name="resident.phone" type="tel" value={r.phone} onInput={setRes('phone')} {...invalid(errors, 'resident.phone')} />
        </Field>
        <Field label={t('install.access')} path="resident.accessNotes" errors={errors} class="wide" hint={t('install.accessHint')}>
          <textarea name="resident.accessNotes" rows={2} value={r.accessNotes} onInput={setRes('accessNotes')} />
        </Field>
      </div>
      <CheckboxGroup
        legend={t('install.conditions')}
        name="resident.conditions"
        options={CONDITIONS}
        label={(c) => tValue('condition', c)}
        checked={r.conditions}
        onChange={(conditions) => setDraft({ ...draft, resident: { ...r, conditions } })}
      />
      <Field label={t('install.medication')} path="resident.medicationNotes" errors={errors} hint={t('install.medicalHint')}>
        <textarea name="resident.medicationNotes" rows={2} value={r.medicationNotes} onInput={setRes('medicationNotes')} />
      </Field>
      <label class="check">
        <input
          type="checkbox"
          name="resident.specialHardship"
          checked={r.specialHardship}
          onChange={(e) => setDraft({ ...draft, resident: { ...r, specialHardship: e.currentTarget.checked } })}
        />{' '}
        {t('install.hardship')}
      </label>
    </fieldset>
  );
}

export function ContactsFieldset({ draft, setDraft, errors }: SectionProps) {
  const setContact = (i: number, patch: Partial<ContactDraft>) => setDraft({ ...draft, contacts: draft.contacts.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  return (
    <fieldset class="card contacts-form">
      <legend>{t('install.contacts')}</legend>
      <p class="hint">{t('install.contactsHint')}</p>
      {draft.contacts.map((c, i) => (
        <fieldset key={i} class="contact-draft" data-contact={i}>
          <legend>{t('install.contactN', { n: i + 1 })}</legend>
          <Field label={t('dispatch.name')} path={`resident.contacts.${i}.name`} errors={errors}>
            <input name={`contact-${i}-name`} value={c.name} onInput={(e) => setContact(i, { name: e.currentTarget.value })} {...invalid(errors, `resident.contacts.${i}.name`)} />
          </Field>
          <Field label={t('install.relation')} path={`resident.contacts.${i}.relation`} errors={errors}>
            <input name={`contact-${i}-relation`} value={c.relation} onInput={(e) => setContact(i, { relation: e.currentTarget.value })} />
          </Field>
          <Field label={t('dispatch.phone')} path={`resident.contacts.${i}.phone`} errors={errors}>
            <input
              name={`contact-${i}-phone`}
              type="tel"
              value={c.phone}
              onInput={(e) => setContact(i, { phone: e.currentTarget.value })}
              {...invalid(errors, `resident.contacts.${i}.phone`)}
            />
          </Field>
          <label class="check">
            <input type="checkbox" name={`contact-${i}-keys`} checked={c.hasKeys} onChange={(e) => setContact(i, { hasKeys: e.currentTarget.checked })} /> {t('install.hasKeys')}
          </label>
          {draft.contacts.length > 1 && (
            <button type="button" class="button-quiet" onClick={() => setDraft({ ...draft, contacts: draft.contacts.filter((_, j) => j !== i) })}>
              {t('dispatch.removeN', { n: i + 1 })}
            </button>
          )}
        </fieldset>
      ))}
      {draft.contacts.length < 10 && (
        <button type="button" data-action="add-contact" onClick={() => setDraft({ ...draft, contacts: [...draft.contacts, emptyContact()] })}>
          {t('install.addContact')}
        </button>
      )}
    </fieldset>
  );
}
