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
import { FormError, NO_ERRORS, useFormAction } from '../util/field-errors.js';
import { MoveForm, ReplaceForm, RevokeForm, RotateForm } from './device-action-forms.js';

type Kind = 'rotate' | 'revoke' | 'replace' | 'move';

/** Which form is open, what its field holds, and the call that empties them all once it succeeded. */
function useDeviceActions(onChanged: () => void) {
  const [open, setOpen] = useState<Kind | undefined>();
  const [reason, setReason] = useState('');
  const [serial, setSerial] = useState('');
  const [target, setTarget] = useState('');
  const form = useFormAction((p) => p === 'reason' || p === 'serial' || p === 'homeId');
  const { busy, errors, setErrors } = form;

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
  return { open, choose, run, busy, errors, reason, setReason, serial, setSerial, target, setTarget };
}

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
  const { open, choose, run, busy, errors, reason, setReason, serial, setSerial, target, setTarget } = useDeviceActions(onChanged);
  const base = `/devices/${encodeURIComponent(deviceId)}`;
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
      {open === 'rotate' && <RotateForm busy={busy} onSubmit={() => run(async () => onCredentials(await post<ProvisionedDevice>(`${base}/rotate-secret`, {})))} />}
      {open === 'revoke' && <RevokeForm busy={busy} errors={errors} value={reason} onValue={setReason} onSubmit={() => run(async () => void (await post(`${base}/revoke`, { reason })))} />}
      {open === 'replace' && (
        <ReplaceForm busy={busy} errors={errors} value={serial} onValue={setSerial} onSubmit={() => run(async () => onCredentials(await post<ProvisionedDevice>(`${base}/replace`, { serial })))} />
      )}
      {open === 'move' && <MoveForm busy={busy} errors={errors} value={target} onValue={setTarget} homes={others} onSubmit={() => run(async () => void (await post(`${base}/move`, { homeId: target })))} />}
      <FormError errors={errors} />
    </div>
  );
}
