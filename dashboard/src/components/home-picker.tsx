/** A select of the live homes by resident and address (the call-back and wellbeing forms share it). */
import { t } from '../i18n/index.js';
import { homes } from '../live/index.js';
import { useStore } from '../util/use-store.js';

export function homeLabel(homeId: string): string {
  const home = homes.get(homeId);
  return home ? [home.resident?.name, home.name, home.address].filter(Boolean).join(' · ') : homeId;
}

export function HomePicker({ name, value, onChange }: { name: string; value: string; onChange(homeId: string): void }) {
  useStore(homes.version);
  return (
    <label>
      {t('callbacks.home')}
      <select name={name} required value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">{t('callbacks.pickHome')}</option>
        {homes
          .all()
          .filter((h) => h.status === 'live')
          .map((h) => (
            <option key={h.id} value={h.id}>
              {homeLabel(h.id)}
            </option>
          ))}
      </select>
    </label>
  );
}

/** `<input type="datetime-local">` gives local wall time without a zone: this is that instant in ISO. */
export function localInputToIso(value: string): string {
  return new Date(value).toISOString();
}
