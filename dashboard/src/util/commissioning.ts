/** Small words for the commissioning checklist. */
import { t } from '../i18n/index.js';

/** RSSI in dBm as an installer says it: good (≥ −70), fair (≥ −85), weak. */
export function signalWord(rssi: number): string {
  return rssi >= -70 ? t('signal.good') : rssi >= -85 ? t('signal.fair') : t('signal.weak');
}
