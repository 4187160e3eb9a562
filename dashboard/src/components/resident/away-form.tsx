/**
 * "Away" from and until a date (issue 13 item 3): in hospital, staying with
 * family. Inactivity monitoring pauses inside the period (the hub's
 * inactivity rule); every other alarm still comes in. Empty "from" is now;
 * empty "until" is open-ended, until someone marks the resident back.
 */
import { useState } from 'preact/hooks';
import { residentsApi, type ResidentRecord } from '../../api/residents.js';
import { t } from '../../i18n/index.js';
import { formatDateTime } from '../../util/format.js';
import { Field, FormError, invalid, useFormAction } from '../../util/field-errors.js';

/** A `datetime-local` value is the browser's local time; the hub wants an instant. */
const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function awayState(r: ResidentRecord, now: number): 'away' | 'planned' | 'home' {
  const away = r.away;
  if (!away || (away.until && Date.parse(away.until) <= now)) return 'home';
  return Date.parse(away.since) > now ? 'planned' : 'away';
}

export function AwayForm({ resident, onSaved }: { resident: ResidentRecord; onSaved(r: ResidentRecord): void }) {
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const { busy, errors, run } = useFormAction((p) => p === 'from' || p === 'until');
  const state = awayState(resident, Date.now());
  const send = (away: boolean) =>
    void run(async () => {
      onSaved(await residentsApi.setAway(resident.id, away ? { away, from: instant(from), until: instant(until) } : { away }));
      setFrom('');
      setUntil('');
    });
  return (
    <section class="card away-card" data-away={state} aria-labelledby="away-title">
      <h2 id="away-title">{t('away.title')}</h2>
      <p data-field="away-state">
        {state === 'home' || !resident.away
          ? t('away.home')
          : t(state === 'planned' ? 'away.planned' : 'away.now', {
              from: formatDateTime(resident.away.since),
              until: resident.away.until ? formatDateTime(resident.away.until) : t('away.open'),
            })}
      </p>
      <p class="hint">{t('away.hint')}</p>
      <form
        class="form-row"
        noValidate
        data-form="away"
        onSubmit={(e) => {
          e.preventDefault();
          send(true);
        }}
      >
        <Field label={t('away.from')} path="from" errors={errors} hint={t('away.fromHint')}>
          <input name="from" type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} {...invalid(errors, 'from')} />
        </Field>
        <Field label={t('away.until')} path="until" errors={errors}>
          <input name="until" type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} {...invalid(errors, 'until')} />
        </Field>
        <button type="submit" data-action="mark-away" disabled={busy}>
          {t('away.mark')}
        </button>
        {state !== 'home' && (
          <button type="button" class="button-quiet" data-action="mark-back" disabled={busy} onClick={() => send(false)}>
            {t('away.back')}
          </button>
        )}
      </form>
      <FormError errors={errors} />
    </section>
  );
}
