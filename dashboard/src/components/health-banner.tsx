/**
 * A red band across the console while the hub cannot take alarms, or takes
 * them late (live/hub-health.ts): what is wrong, since when, and what to do.
 * It stays until the hub is healthy again.
 */
import { t } from '../i18n/index.js';
import { hubHealth } from '../live/index.js';
import { formatTime } from '../util/format.js';
import { useStore } from '../util/use-store.js';

export function HealthBanner() {
  const trouble = useStore(hubHealth.trouble);
  if (!trouble) return null;
  return (
    <div class="health-banner" role="alert" data-health={trouble.kind}>
      <strong>{t(trouble.kind === 'stalled' ? 'health.stalled' : 'health.refused')}</strong>
      <span>{t('health.since', { time: formatTime(trouble.since) })}</span>
      <span>{t('health.whatToDo')}</span>
      <span class="health-reason">{trouble.reason}</span>
    </div>
  );
}
