/**
 * Putting a home being installed live (install-home-page.tsx): allowed once
 * every device passed commissioning, with the checks still missing listed;
 * before that only with a reason, which the hub audits.
 */
import { useState } from 'preact/hooks';
import { post } from '../api/http.js';
import type { HomeChecklist } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { checkLabel } from '../util/commissioning.js';
import { Field, FormError, invalid, useFormAction, type FormErrors } from '../util/field-errors.js';

export function GoLive({ checklist, onLive }: { checklist: HomeChecklist; onLive(): void }) {
  const [reason, setReason] = useState('');
  const { busy, errors, run } = useFormAction((p) => p === 'overrideReason');
  const go = (overrideReason?: string) =>
    run(async () => {
      await post(`/homes/${encodeURIComponent(checklist.homeId)}/go-live`, overrideReason === undefined ? {} : { overrideReason });
      onLive();
    });
  if (checklist.status === 'live') {
    return (
      <section class="card go-live is-live" aria-labelledby="golive-title" data-home-status="live">
        <h2 id="golive-title">{t('golive.isLive')}</h2>
        <p>{t('golive.isLiveText')}</p>
      </section>
    );
  }
  const ready = checklist.allPassed;
  return (
    <section class="card go-live" aria-labelledby="golive-title" data-home-status="installing">
      <h2 id="golive-title">{t('golive.title')}</h2>
      {ready ? <p class="ok-text">{t('golive.ready')}</p> : checklist.devices.length === 0 ? <p class="muted">{t('golive.noDevices')}</p> : <MissingChecks checklist={checklist} />}
      <button type="button" class="button-primary button-big" data-action="go-live" disabled={!ready || busy} onClick={() => void go()}>
        {t('golive.submit')}
      </button>
      {!ready && checklist.devices.length > 0 && <OverrideForm busy={busy} errors={errors} reason={reason} onReason={setReason} onSubmit={() => void go(reason)} />}
      <FormError errors={errors} />
    </section>
  );
}

/** What is still missing, the first eight. */
function MissingChecks({ checklist }: { checklist: HomeChecklist }) {
  const missing = checklist.devices.flatMap((d) => d.checks.filter((c) => !c.done).map((c) => ({ device: d, check: c.id })));
  return (
    <>
      <p>{t('golive.missing', { n: missing.length })}</p>
      <ul class="missing-checks">
        {missing.slice(0, 8).map((m) => (
          <li key={`${m.device.deviceId}-${m.check}`}>
            {tValue('deviceKind', m.device.kind)} {m.device.serial}: {checkLabel(m.check)}
          </li>
        ))}
        {missing.length > 8 && <li>…</li>}
      </ul>
    </>
  );
}

function OverrideForm({ busy, errors, reason, onReason, onSubmit }: { busy: boolean; errors: FormErrors; reason: string; onReason(reason: string): void; onSubmit(): void }) {
  return (
    <details class="override">
      <summary>{t('golive.override')}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit();
        }}
      >
        <Field label={t('golive.reason')} path="overrideReason" errors={errors} hint={t('golive.reasonHint')}>
          <textarea name="overrideReason" rows={2} value={reason} onInput={(e) => onReason(e.currentTarget.value)} {...invalid(errors, 'overrideReason')} />
        </Field>
        <button type="submit" class="button-danger" data-action="go-live-override" disabled={busy}>
          {t('golive.overrideSubmit')}
        </button>
      </form>
    </details>
  );
}
