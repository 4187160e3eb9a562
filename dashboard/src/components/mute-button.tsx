/** Mutes the alarm for the alerts ringing now (a new critical alert sounds again; see live/alarm.ts). */
import { t } from '../i18n/index.js';
import { alarm } from '../live/index.js';
import { useStore } from '../util/use-store.js';

export function MuteButton() {
  const state = useStore(alarm.state);
  return (
    <button type="button" class={`mute mute-${state}`} data-alarm={state} aria-pressed={state === 'muted'} onClick={() => alarm.toggleMute()}>
      {t(`alarm.${state}`)}
    </button>
  );
}
