/** Whether the queue is live: an operator must never trust a stale screen. */
import { t } from '../i18n/index.js';
import { stream } from '../live/index.js';
import { useStore } from '../util/use-store.js';

export function ConnectionBadge() {
  const status = useStore(stream.status);
  return (
    <span class={`conn conn-${status}`} role="status" data-stream={status}>
      {t(`conn.${status}`)}
    </span>
  );
}
