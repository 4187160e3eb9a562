/**
 * A device's heartbeat interval on its card (issue 11): what it uses now
 * (confirmed by the device, or its kind's default), a change on its way with
 * how far it got (pending → delivered → confirmed), and a form to change it.
 * The change is a `configure` command: an offline device gets it when it
 * reconnects, so the card looks again every few seconds until it is confirmed.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { devicesApi } from '../api/devices.js';
import type { DeviceCommands } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { Field, FormError, invalid, useFormAction } from '../util/field-errors.js';

const POLL_MS = 3_000;

export function HeartbeatSetting({ deviceId }: { deviceId: string }) {
  const [view, setView] = useState<DeviceCommands | undefined>();
  const [open, setOpen] = useState(false);
  const [seconds, setSeconds] = useState('');
  const { busy, errors, run } = useFormAction((p) => p === 'heartbeatSec');
  const load = useCallback(() => devicesApi.commands(deviceId).then(setView, () => undefined), [deviceId]);
  useEffect(() => void load(), [load]);

  const pending = view?.pending;
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [pending?.cmdId, load]);

  if (!view) return null;
  const pendingSec = pending?.command.cmd === 'configure' ? pending.command.heartbeatSec : undefined;
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      // Sent as typed: the hub checks it and names the field when it is not a whole number of seconds in range.
      await devicesApi.configure(deviceId, seconds.trim() === '' ? Number.NaN : Number(seconds));
      setOpen(false);
      setSeconds('');
      await load();
    });
  };
  return (
    <div class="heartbeat-setting" data-device-id={deviceId}>
      <div class="heartbeat">
        <span class="field-label">{t('hb.title')}</span>
        <span data-field="heartbeat" data-seconds={view.heartbeatSec}>
          {t('hb.every', { sec: view.heartbeatSec })} {view.heartbeatSec === view.defaultHeartbeatSec ? t('hb.default') : ''}
        </span>
        {pending && pendingSec !== undefined && (
          <span class="tag tag-warn" data-field="heartbeatPending" data-state={pending.state}>
            {t('hb.changing', { sec: pendingSec, state: tValue('commandState', pending.state) })}
          </span>
        )}
        <button type="button" class="button-quiet" data-action="open-heartbeat" aria-expanded={open} onClick={() => setOpen(!open)}>
          {t('hb.change')}
        </button>
      </div>
      {open && (
        <form class="device-action-form" onSubmit={submit} noValidate>
          <p class="hint">{t('hb.hint')}</p>
          <Field label={t('hb.seconds')} path="heartbeatSec" errors={errors}>
            <input name="heartbeatSec" type="number" inputMode="numeric" min={10} max={86_400} step={1} value={seconds} onInput={(e) => setSeconds(e.currentTarget.value)} {...invalid(errors, 'heartbeatSec')} />
          </Field>
          <button type="submit" class="button-primary" data-action="configure" disabled={busy}>
            {t('hb.submit')}
          </button>
          <FormError errors={errors} />
        </form>
      )}
    </div>
  );
}
