/**
 * Step 1 and 2 of an installation (issue 5): the home, its resident and the
 * contacts, in one form. The hub validates; its 400 names each bad field
 * (`resident.contacts.1.phone`), shown next to that field. On success the
 * installer goes on to the home's devices.
 */
import { useState } from 'preact/hooks';
import { post } from '../api/http.js';
import { CONDITIONS } from '../api/enums.js';
import type { HomeView } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { CheckboxGroup } from '../components/checkbox-group.js';
import { Field, FormError, invalid, useFormAction } from '../util/field-errors.js';

interface ContactDraft {
  name: string;
  relation: string;
  phone: string;
  hasKeys: boolean;
}

interface Draft {
  name: string;
  address: string;
  community: string;
  resident: {
    name: string;
    birthYear: string;
    gender: string;
    phone: string;
    conditions: string[];
    medicationNotes: string;
    accessNotes: string;
    specialHardship: boolean;
  };
  contacts: ContactDraft[];
}

const emptyContact = (): ContactDraft => ({ name: '', relation: '', phone: '', hasKeys: false });

const EMPTY: Draft = {
  name: '',
  address: '',
  community: '',
  resident: { name: '', birthYear: '', gender: '', phone: '', conditions: [], medicationNotes: '', accessNotes: '', specialHardship: false },
  contacts: [emptyContact()],
};

const opt = (s: string) => (s.trim() ? s.trim() : undefined);

/** The request body: empty optional fields left out, contacts nobody filled in dropped. */
function body(d: Draft) {
  const contacts = d.contacts.filter((c) => c.name.trim() || c.phone.trim() || c.relation.trim());
  return {
    name: d.name,
    address: d.address,
    community: opt(d.community),
    resident: {
      name: d.resident.name,
      birthYear: d.resident.birthYear.trim() ? Number(d.resident.birthYear) : undefined,
      gender: opt(d.resident.gender),
      phone: opt(d.resident.phone),
      conditions: d.resident.conditions,
      medicationNotes: opt(d.resident.medicationNotes),
      accessNotes: opt(d.resident.accessNotes),
      specialHardship: d.resident.specialHardship,
      contacts: contacts.map((c) => ({ name: c.name, relation: opt(c.relation), phone: c.phone, hasKeys: c.hasKeys })),
    },
  };
}

const FIELD = /^(name|address|community|resident\.(name|birthYear|gender|phone|conditions|medicationNotes|accessNotes)|resident\.contacts(\.\d+\.(name|relation|phone))?)$/;

export function InstallNewPage() {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const { busy, errors, run } = useFormAction((p) => FIELD.test(p));

  const setHome = (k: 'name' | 'address' | 'community') => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  const setRes = (k: keyof Omit<Draft['resident'], 'conditions' | 'specialHardship'>) => (e: Event) =>
    setDraft({ ...draft, resident: { ...draft.resident, [k]: (e.currentTarget as HTMLInputElement).value } });
  const setContact = (i: number, patch: Partial<ContactDraft>) => setDraft({ ...draft, contacts: draft.contacts.map((c, j) => (j === i ? { ...c, ...patch } : c)) });

  const submit = (e: Event) => {
    e.preventDefault();
    void run(
      async () => {
        const home = await post<HomeView>('/homes', body(draft));
        location.hash = href.installHome(home.id);
      },
      // Take the keyboard to the first field the hub named.
      () => requestAnimationFrame(() => document.querySelector<HTMLElement>('.install-form [aria-invalid=true]')?.focus()),
    );
  };

  const r = draft.resident;
  return (
    <section class="install-new" data-page="install-new" aria-labelledby="new-title">
      <p>
        <a href={href.install()}>{t('install.back')}</a>
      </p>
      <h1 id="new-title">{t('install.newTitle')}</h1>
      <form class="install-form" onSubmit={submit} noValidate>
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

        <FormError errors={errors} />
        <button type="submit" class="button-primary" data-action="create-home" disabled={busy}>
          {busy ? t('common.saving') : t('install.create')}
        </button>
      </form>
    </section>
  );
}
