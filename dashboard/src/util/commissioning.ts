/** Small words for the commissioning checklist. */
import { t, tValue } from '../i18n/index.js';

/** RSSI in dBm as an installer says it: good (≥ −70), fair (≥ −85), weak. */
export function signalWord(rssi: number): string {
  return rssi >= -70 ? t('signal.good') : rssi >= -85 ? t('signal.fair') : t('signal.weak');
}

/** A check of the commissioning checklist by its id (`connected`, `heartbeat`, `event:sos`…). */
export function checkLabel(id: string): string {
  if (id.startsWith('event:')) return t('check.event', { event: tValue('event', id.slice(6)) });
  return tValue('check', id);
}
