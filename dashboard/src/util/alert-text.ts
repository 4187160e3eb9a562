/**
 * An alert's kind as a headline — "SOS", or "DRILL · SOS" for a drill alert
 * (issue 13 item 8) — for desktop notifications and lists, so a drill is
 * marked wherever the alert is named.
 */
import { t, tValue } from '../i18n/index.js';

export function kindHeadline(alert: { kind: string; drill?: { drillId: string } | undefined }): string {
  return alert.drill ? `${t('drill.tag')} · ${tValue('kind', alert.kind)}` : tValue('kind', alert.kind);
}
