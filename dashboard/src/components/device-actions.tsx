/**
 * What an installer can do to a device once it is registered: renew its
 * secret (it is disconnected at once and needs the new one), revoke it (a
 * lost or stolen device), replace it with a new one of the same kind (the old
 * one keeps its history), or move it to another home (a bracelet following
 * its wearer). Renew and replace answer with new credentials, shown once.
 */
import { useState } from 'preact/hooks';
import { post } from '../api/http.js';
import type { HomeView, ProvisionedDevice } from '../api/types.js';
import { t } from '../i18n/index.js';
import { Field, FormError, invalid, NO_ERRORS, useFormAction } from '../util/field-errors.js';
import { residentNames } from '../util/who.js';

type Kind = 'rotate' | 'revoke' | 'replace' | 'move';

export function DeviceActions({
  deviceId,
  homeId,
  homes,
  onCredentials,
  onChanged,
}: {
  deviceId: string;
  homeId: string;
  homes: HomeView[];
  onCredentials(device: ProvisionedDevice): void;
  onChanged(): void;
}) {
  const [open, setOpen] = useState<Kind | undefined>();
  const [reason, setReason] = useState('');
  const [serial, setSerial] = useState('');
  const [target, setTarget] = useState('');
  const form = useFormAction((p) => p === 'reason' || p === 'serial' || p === 'homeId');
  const { busy, errors, setErrors } = form;
  const base = `/devices/${encodeURIComponent(deviceId)}`;

  const run = (work: () => Promise<void>) =>
    form.run(async () => {
      await work();
      setOpen(undefined);
      setReason('');
      setSerial('');
      setTarget('');
      onChanged();
    });

  const choose = (kind: Kind) => {
    setErrors(NO_ERRORS);
    setOpen(open === kind ? undefined : kind);
  };
  const others = homes.filter((h) => h.id !== homeId);

  return (
    <div class="device-actions" data-device-id={deviceId}>
      <div class="row-buttons" role="group" aria-label={t('devAct.label')}>
        {(['rotate', 'replace', 'move', 'revoke'] as const).map((k) => (
          <button key={k} type="button" class="button-quiet" data-action={`open-${k}`} aria-expanded={open === k} onClick={() => choose(k)}>
            {t(`devAct.${k}`)}
          </button>
        ))}
      </div>
      {open === 'rotate' && (
        <form
          class="device-action-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => onCredentials(await post<ProvisionedDevice>(`${base}/rotate-secret`, {})));
          }}
        >
          <p class="hint">{t('devAct.rotateHint')}</p>
          <button type="submit" class="button-primary" data-action="rotate" disabled={busy}>
            {t('devAct.rotateConfirm')}
          </button>
        </form>
      )}
      {open === 'revoke' && (
        <form
          class="device-action-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => void (await post(`${base}/revoke`, { reason })));
          }}
        >
          <p class="hint">{t('devAct.revokeHint')}</p>
          <Field label={t('devAct.reason')} path="reason" errors={errors}>
            <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} {...invalid(errors, 'reason')} />
          </Field>
          <button type="submit" class="button-danger" data-action="revoke" disabled={busy}>
            {t('devAct.revokeConfirm')}
          </button>
        </form>
      )}
      {open === 'replace' && (
        <form
          class="device-action-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => onCredentials(await post<ProvisionedDevice>(`${base}/replace`, { serial })));
          }}
        >
          <p class="hint">{t('devAct.replaceHint')}</p>
          <Field label={t('register.serial')} path="serial" errors={errors}>
            <input name="serial" value={serial} onInput={(e) => setSerial(e.currentTarget.value)} {...invalid(errors, 'serial')} />
          </Field>
          <button type="submit" class="button-primary" data-action="replace" disabled={busy}>
            {t('devAct.replaceConfirm')}
          </button>
        </form>
      )}
      {open === 'move' && (
        <form
          class="device-action-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => void (await post(`${base}/move`, { homeId: target })));
          }}
        >
          <Field label={t('devAct.moveTo')} path="homeId" errors={errors}>
            <select name="homeId" value={target} onChange={(e) => setTarget(e.currentTarget.value)} {...invalid(errors, 'homeId')}>
              <option value="">{t('devAct.chooseHome')}</option>
              {others.map((h) => (
                <option key={h.id} value={h.id}>
                  {residentNames(h) ? `${residentNames(h)} — ${h.name}` : h.name}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" class="button-primary" data-action="move" disabled={busy || !target}>
            {t('devAct.moveConfirm')}
          </button>
        </form>
      )}
      <FormError errors={errors} />
    </div>
  );
}
