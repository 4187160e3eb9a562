/** Shown while the browser blocks audio (no click or key yet since the page loaded) and an alarm should ring. */
import { t } from '../i18n/index.js';
import { alarm } from '../live/index.js';
import { useStore } from '../util/use-store.js';

export function SoundBanner() {
  const audible = useStore(alarm.audible);
  const state = useStore(alarm.state);
  if (audible || state !== 'on') return null;
  return (
    <div class="sound-banner" role="alert">
      <span>{t('alarm.blocked')}</span>
      <button type="button" onClick={() => alarm.unlock()}>
        {t('alarm.enable')}
      </button>
    </div>
  );
}
