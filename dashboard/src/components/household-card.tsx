/**
 * A home's residents on the installer's page (issue 13 item 12, couples):
 * who lives here, adding another resident, and whose each bracelet is. With
 * one resident there is nothing to choose; with two, every bracelet names
 * its wearer, whose thresholds apply and whom its alerts name.
 */
import { useState } from 'preact/hooks';
import { residentsApi } from '../api/residents.js';
import type { HomeDetail } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { Field, FormError, invalid, useFormAction } from '../util/field-errors.js';
import { ageFromBirthYear } from '../util/format.js';
import { OneFieldForm } from './one-field-form.js';

function AddResident({ homeId, onAdded }: { homeId: string; onAdded(name: string): void }) {
  const [name, setName] = useState('');
  const [birthYear, setBirthYear] = useState('');
  const { busy, errors, run } = useFormAction((p) => p === 'name' || p === 'birthYear');
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const added = await residentsApi.add(homeId, { name, birthYear: Number(birthYear) });
      setName('');
      setBirthYear('');
      onAdded(added.name);
    });
  };
  return (
    <details class="add-resident">
      <summary>{t('household.add')}</summary>
      <p class="hint">{t('household.addHint')}</p>
      <form onSubmit={submit} noValidate data-form="add-resident">
        <div class="form-row">
          <Field label={t('install.residentName')} path="name" errors={errors}>
            <input name="name" value={name} autoComplete="off" onInput={(e) => setName(e.currentTarget.value)} {...invalid(errors, 'name')} />
          </Field>
          <Field label={t('install.birthYear')} path="birthYear" errors={errors}>
            <input name="birthYear" inputMode="numeric" value={birthYear} onInput={(e) => setBirthYear(e.currentTarget.value)} {...invalid(errors, 'birthYear')} />
          </Field>
          <button type="submit" class="button-primary" data-action="add-resident" disabled={busy}>
            {t('household.addSubmit')}
          </button>
        </div>
        <FormError errors={errors} />
      </form>
    </details>
  );
}

export function HouseholdCard({ home, onChanged }: { home: HomeDetail; onChanged(): void }) {
  const [added, setAdded] = useState<string | undefined>();
  const residents = home.residents ?? [];
  const couple = residents.length > 1;
  const bracelets = home.devices.filter((d) => d.kind === 'bracelet' && !d.revokedAt);
  const choices = residents.map((r) => ({ value: r.id, label: r.name }));
  return (
    <section class="card household" aria-labelledby="household-title" data-residents={residents.length}>
      <h2 id="household-title">{t('household.title')}</h2>
      <ul class="household-list">
        {residents.map((r) => (
          <li key={r.id} data-resident-id={r.id}>
            <a href={href.resident(r.id)}>{r.name}</a> <span class="muted">{t('resident.age', { n: ageFromBirthYear(r.birthYear) })}</span>
          </li>
        ))}
      </ul>
      {!couple && <p class="muted">{t('household.one')}</p>}
      {added && (
        <p class="ok-text" role="status">
          {t('household.added', { name: added })}
        </p>
      )}
      {couple &&
        bracelets.map((d) => (
          <div key={d.id} class="wearer" data-device-id={d.id} data-wearer={d.residentId ?? ''}>
            <p>
              {tValue('deviceKind', d.kind)} <span class="serial">{d.serial}</span> · {t('household.wornBy')}:{' '}
              <strong>{residents.find((r) => r.id === d.residentId)?.name ?? t('household.nobody')}</strong>
            </p>
            <OneFieldForm
              label={t('household.assign')}
              field="residentId"
              type="select"
              choices={choices}
              initial={d.residentId ?? residents[0]!.id}
              submit={t('household.assignSubmit')}
              action="give-device"
              onSubmit={async (residentId) => {
                await residentsApi.giveDevice(home.id, d.id, residentId);
                onChanged();
              }}
            />
          </div>
        ))}
      <AddResident
        homeId={home.id}
        onAdded={(name) => {
          setAdded(name);
          onChanged();
        }}
      />
    </section>
  );
}
