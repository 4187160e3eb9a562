/**
 * Registering a device in a home being installed (install-home-page.tsx): its
 * kind, its serial and, for a couple's bracelet, whose it is. The hub answers
 * with the credentials, which the page shows once.
 */
import { useState } from 'preact/hooks';
import { post } from '../api/http.js';
import { DEVICE_KINDS } from '../api/enums.js';
import type { ResidentRecord } from '../api/residents.js';
import type { ProvisionedDevice } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { Field, FormError, invalid, useFormAction } from '../util/field-errors.js';

export function RegisterDeviceForm({ homeId, residents, onRegistered }: { homeId: string; residents: ResidentRecord[]; onRegistered(d: ProvisionedDevice): void }) {
  const [kind, setKind] = useState<string>(DEVICE_KINDS[0]);
  const [serial, setSerial] = useState('');
  // A couple's bracelet must say whose it is (issue 13 item 12); the newest resident is the likeliest.
  const [wearer, setWearer] = useState('');
  const askWearer = kind === 'bracelet' && residents.length > 1;
  const residentId = askWearer ? wearer || residents[residents.length - 1]!.id : undefined;
  const { busy, errors, run } = useFormAction((p) => p === 'kind' || p === 'serial' || p === 'residentId');
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const device = await post<ProvisionedDevice>(`/homes/${encodeURIComponent(homeId)}/devices`, { kind, serial, ...(residentId ? { residentId } : {}) });
      setSerial('');
      onRegistered(device);
    });
  };
  return (
    <form class="card register-form" onSubmit={submit} aria-labelledby="register-title" noValidate>
      <h2 id="register-title">{t('register.title')}</h2>
      <div class="form-row">
        <Field label={t('register.kind')} path="kind" errors={errors}>
          <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)} {...invalid(errors, 'kind')}>
            {DEVICE_KINDS.map((k) => (
              <option key={k} value={k}>
                {tValue('deviceKind', k)}
              </option>
            ))}
          </select>
        </Field>
        {askWearer && (
          <Field label={t('household.wornBy')} path="residentId" errors={errors}>
            <select name="residentId" value={residentId} onChange={(e) => setWearer(e.currentTarget.value)} {...invalid(errors, 'residentId')}>
              {residents.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label={t('register.serial')} path="serial" errors={errors} hint={t('register.serialHint')}>
          <input name="serial" value={serial} autoComplete="off" onInput={(e) => setSerial(e.currentTarget.value)} {...invalid(errors, 'serial')} />
        </Field>
        <button type="submit" class="button-primary" data-action="register" disabled={busy}>
          {t('register.submit')}
        </button>
      </div>
      <FormError errors={errors} />
    </form>
  );
}
