/**
 * Edit a resident's profile (issue 13 item 3): name, phone, conditions,
 * medication, access and key-safe notes, and the contacts in call order.
 * Only what the form shows is sent; the hub checks it and names each bad
 * field, and the operator's alert page shows the new profile at once.
 */
import { useState } from 'preact/hooks';
import { CONDITIONS } from '../../api/enums.js';
import { residentsApi, type ResidentRecord } from '../../api/residents.js';
import { t, tValue } from '../../i18n/index.js';
import { CheckboxGroup } from '../checkbox-group.js';
import { Field, FormError, invalid, useFormAction, type FormErrors } from '../../util/field-errors.js';
import { contactOf, ContactsEditor, draftOf, type ContactDraft } from './contacts-editor.js';

interface Draft {
  name: string;
  phone: string;
  conditions: ResidentRecord['conditions'];
  medicationNotes: string;
  accessNotes: string;
  contacts: ContactDraft[];
}

const FIELD = /^(name|phone|conditions|medicationNotes|accessNotes|contacts(\.\d+\.(name|relation|phone|availability))?)$/;

function draftFrom(r: ResidentRecord): Draft {
  return { name: r.name, phone: r.phone ?? '', conditions: [...r.conditions], medicationNotes: r.medicationNotes ?? '', accessNotes: r.accessNotes ?? '', contacts: r.contacts.map(draftOf) };
}

/** What PUT …/profile takes from the draft. */
function profileBody(draft: Draft) {
  return {
    name: draft.name,
    // A phone cannot be blanked here (left out, the hub keeps it); emptied notes are sent empty and so cleared.
    phone: draft.phone.trim() || undefined,
    conditions: draft.conditions,
    medicationNotes: draft.medicationNotes,
    accessNotes: draft.accessNotes,
    contacts: draft.contacts.map(contactOf),
  };
}

type TextKey = 'name' | 'phone' | 'medicationNotes' | 'accessNotes';

export function ProfileForm({ resident, onSaved }: { resident: ResidentRecord; onSaved(r: ResidentRecord): void }) {
  const [draft, setDraft] = useState(() => draftFrom(resident));
  const [saved, setSaved] = useState(false);
  const { busy, errors, run } = useFormAction((p) => FIELD.test(p));
  const set = (k: TextKey) => (e: Event) => {
    setSaved(false);
    setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  };
  const submit = (e: Event) => {
    e.preventDefault();
    void run(
      async () => {
        const updated = await residentsApi.updateProfile(resident.id, profileBody(draft));
        setDraft(draftFrom(updated));
        setSaved(true);
        onSaved(updated);
      },
      () => requestAnimationFrame(() => document.querySelector<HTMLElement>('.profile-form [aria-invalid=true]')?.focus()),
    );
  };
  return (
    <form class="profile-form" onSubmit={submit} noValidate data-form="profile">
      <ProfileFieldset draft={draft} errors={errors} set={set} onConditions={(conditions) => setDraft({ ...draft, conditions })} />
      <ContactsEditor
        contacts={draft.contacts}
        errors={errors}
        onChange={(contacts) => {
          setSaved(false);
          setDraft({ ...draft, contacts });
        }}
      />
      <FormError errors={errors} />
      <button type="submit" class="button-primary" data-action="save-profile" disabled={busy}>
        {busy ? t('common.saving') : t('resident.save')}
      </button>
      {saved && (
        <span class="ok-text" role="status" data-field="profile-saved">
          {' '}
          {t('resident.saved')}
        </span>
      )}
    </form>
  );
}

function ProfileFieldset({ draft, errors, set, onConditions }: { draft: Draft; errors: FormErrors; set(k: TextKey): (e: Event) => void; onConditions(c: Draft['conditions']): void }) {
  return (
    <fieldset class="card">
      <legend>{t('resident.profile')}</legend>
      <div class="form-grid">
        <Field label={t('install.residentName')} path="name" errors={errors}>
          <input name="name" value={draft.name} onInput={set('name')} {...invalid(errors, 'name')} />
        </Field>
        <Field label={t('install.phone')} path="phone" errors={errors}>
          <input name="phone" type="tel" value={draft.phone} onInput={set('phone')} {...invalid(errors, 'phone')} />
        </Field>
        <Field label={t('install.access')} path="accessNotes" errors={errors} class="wide" hint={t('install.accessHint')}>
          <textarea name="accessNotes" rows={2} value={draft.accessNotes} onInput={set('accessNotes')} {...invalid(errors, 'accessNotes')} />
        </Field>
      </div>
      <CheckboxGroup legend={t('install.conditions')} name="conditions" options={CONDITIONS} label={(c) => tValue('condition', c)} checked={draft.conditions} onChange={onConditions} />
      <Field label={t('install.medication')} path="medicationNotes" errors={errors}>
        <textarea name="medicationNotes" rows={3} value={draft.medicationNotes} onInput={set('medicationNotes')} {...invalid(errors, 'medicationNotes')} />
      </Field>
    </fieldset>
  );
}
