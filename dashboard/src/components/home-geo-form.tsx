/**
 * The home's coordinates, for the installer who stands in it (issue 13 item
 * 4): with them, a bracelet's GPS fix shows its distance from home. The hub
 * checks the ranges; its message appears next to the field.
 */
import { useState } from 'preact/hooks';
import { del, put } from '../api/http.js';
import type { HomeView } from '../api/types.js';
import { t } from '../i18n/index.js';
import { Field, FormError, invalid, useFormAction } from '../util/field-errors.js';

/** A number when it reads as one; otherwise the text itself, so the hub names the field and the problem. */
const asNumber = (text: string): number | string => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text);

export function HomeGeoForm({ home, onSaved }: { home: Pick<HomeView, 'id' | 'geo'>; onSaved(): void }) {
  const [lat, setLat] = useState(home.geo ? String(home.geo.lat) : '');
  const [lon, setLon] = useState(home.geo ? String(home.geo.lon) : '');
  const [saved, setSaved] = useState(false);
  const { busy, errors, run } = useFormAction((p) => p === 'lat' || p === 'lon');
  const path = `/homes/${encodeURIComponent(home.id)}/geo`;
  const save = (e: Event) => {
    e.preventDefault();
    setSaved(false);
    void run(async () => {
      await put(path, { lat: asNumber(lat), lon: asNumber(lon) });
      setSaved(true);
      onSaved();
    });
  };
  const clear = () =>
    void run(async () => {
      await del(path);
      setLat('');
      setLon('');
      setSaved(false);
      onSaved();
    });
  return (
    <form class="card home-geo-form" onSubmit={save} aria-labelledby="geo-title" noValidate>
      <h2 id="geo-title">{t('geo.title')}</h2>
      <p class="hint">{t('geo.hint')}</p>
      <div class="form-row">
        <Field label={t('geo.lat')} path="lat" errors={errors}>
          <input name="lat" inputMode="decimal" autoComplete="off" value={lat} onInput={(e) => setLat(e.currentTarget.value)} {...invalid(errors, 'lat')} />
        </Field>
        <Field label={t('geo.lon')} path="lon" errors={errors}>
          <input name="lon" inputMode="decimal" autoComplete="off" value={lon} onInput={(e) => setLon(e.currentTarget.value)} {...invalid(errors, 'lon')} />
        </Field>
        <button type="submit" class="button-primary" data-action="save-geo" disabled={busy}>
          {t('geo.save')}
        </button>
        {home.geo && (
          <button type="button" data-action="clear-geo" disabled={busy} onClick={clear}>
            {t('geo.clear')}
          </button>
        )}
      </div>
      {saved && (
        <p class="ok-text" role="status" data-field="geo-saved">
          {t('geo.saved')}
        </p>
      )}
      <FormError errors={errors} />
    </form>
  );
}
