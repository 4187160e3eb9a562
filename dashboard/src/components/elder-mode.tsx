/**
 * 长辈模式 / 关怀模式 (issue 13 item 10, the Liaocheng plan): the family page in
 * larger type, higher contrast and fewer things — the status, what is
 * happening now and the "I'm on my way" button; device details and past
 * alerts are left out. Remembered on this device, since the person who needs
 * it is the one holding the phone.
 */
import { t } from '../i18n/index.js';
import { createStore } from '../util/store.js';
import { useStore } from '../util/use-store.js';

const KEY = 'hc.elder';

export const elderMode = createStore<boolean>(localStorage.getItem(KEY) === 'on');

export function setElderMode(on: boolean): void {
  localStorage.setItem(KEY, on ? 'on' : 'off');
  elderMode.set(on);
}

export function ElderModeSwitch() {
  const on = useStore(elderMode);
  return (
    <button type="button" class="elder-switch" data-action="elder-mode" aria-pressed={on} onClick={() => setElderMode(!on)}>
      {t(on ? 'elder.off' : 'elder.on')}
    </button>
  );
}
