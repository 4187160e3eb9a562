/**
 * The DRILL mark on a drill alert (issue 13 item 8), wherever an alert is
 * shown — queue row, alert page, family page — so nobody mistakes a drill
 * for the real thing, nor the real thing for a drill.
 */
import { t } from '../i18n/index.js';

export function DrillTag({ alert }: { alert: { drill?: { drillId: string } | undefined } }) {
  if (!alert.drill) return null;
  return (
    <span class="tag tag-drill" data-flag="drill">
      {t('drill.tag')}
    </span>
  );
}
