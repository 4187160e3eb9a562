/**
 * Step 1 and 2 of an installation (issue 5): the home, its resident and the
 * contacts, in one form. The hub validates; its 400 names each bad field
 * (`resident.contacts.1.phone`), shown next to that field. On success the
 * installer goes on to the home's devices.
 */
import { useState } from 'preact/hooks';
import { post } from '../api/http.js';
import type { HomeView } from '../api/types.js';
import { t } from '../i18n/index.js';
import { href } from '../router.js';
import { FormError, useFormAction } from '../util/field-errors.js';
import { body, EMPTY, FIELD, type Draft } from './install-new-draft.js';
import { ContactsFieldset, HomeFieldset, ResidentFieldset } from './install-new-sections.js';

export function InstallNewPage() {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const { busy, errors, run } = useFormAction((p) => FIELD.test(p));

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

  const sections = { draft, setDraft, errors };
  return (
    <section class="install-new" data-page="install-new" aria-labelledby="new-title">
      <p>
        <a href={href.install()}>{t('install.back')}</a>
      </p>
      <h1 id="new-title">{t('install.newTitle')}</h1>
      <form class="install-form" onSubmit={submit} noValidate>
        <HomeFieldset {...sections} />
        <ResidentFieldset {...sections} />
        <ContactsFieldset {...sections} />
        <FormError errors={errors} />
        <button type="submit" class="button-primary" data-action="create-home" disabled={busy}>
          {busy ? t('common.saving') : t('install.create')}
        </button>
      </form>
    </section>
  );
}
