/** What the alert is, how old, and who has done what with it so far. */
import type { Ref } from 'preact';
import type { Alert, HomeDetail } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { actorName, formatTime } from '../util/format.js';
import { alertWho } from '../util/who.js';
import { slaLevel } from '../util/sla.js';
import { useNow } from '../util/ticker.js';
import { DrillTag } from './drill-tag.js';
import { Elapsed } from './elapsed.js';

export function AlertHeader({ alert, home, headingRef }: { alert: Alert; home: HomeDetail | undefined; headingRef: Ref<HTMLHeadingElement> }) {
  const now = useNow();
  const who = alertWho(alert, home);
  return (
    <header class={`alert-header sla-${slaLevel(alert, now)}`}>
      <a class="back" href={href.queue()}>
        ← {t('alert.backToQueue')}
      </a>
      <h1 ref={headingRef} tabIndex={-1}>
        <span class={`sev-badge sev-${alert.severity}`}>{tValue('severity', alert.severity)}</span> {tValue('kind', alert.kind)}
        {who ? ` — ${who}` : ''} <DrillTag alert={alert} />
      </h1>
      {alert.drill && <p class="drill-banner">{t('drill.banner')}</p>}
      <p class="alert-title">{alert.title}</p>
      <AlertFacts alert={alert} />
    </header>
  );
}

/** Status, when raised, how often, who holds or resolved it, and its flags. */
function AlertFacts({ alert }: { alert: Alert }) {
  return (
    <dl class="alert-facts">
      <div>
        <dt>{t('alert.status')}</dt>
        <dd data-field="status">{tValue('status', alert.status)}</dd>
      </div>
      <div>
        <dt>{t('alert.raised')}</dt>
        <dd>
          {formatTime(alert.raisedAt)} (<Elapsed since={alert.raisedAt} />)
        </dd>
      </div>
      {alert.occurrences > 1 && (
        <div>
          <dt>{t('alert.occurrences')}</dt>
          <dd>{alert.occurrences}</dd>
        </div>
      )}
      {alert.acknowledgedBy && (
        <div>
          {/* After a handover or a re-claim the holder took it later than the first answer. */}
          <dt>{t(alert.heldSince && alert.heldSince !== alert.acknowledgedAt ? 'alert.heldBy' : 'alert.acknowledgedBy')}</dt>
          <dd data-field="acknowledgedBy">
            {actorName(alert.acknowledgedBy)} · {formatTime(alert.heldSince ?? alert.acknowledgedAt ?? alert.updatedAt)}
          </dd>
        </div>
      )}
      {alert.resolvedBy && (
        <div>
          <dt>{t('alert.resolvedBy')}</dt>
          <dd data-field="resolvedBy">
            {actorName(alert.resolvedBy)} · {alert.resolvedAt ? formatTime(alert.resolvedAt) : ''} · {alert.outcome ? tValue('outcome', alert.outcome) : ''}
          </dd>
        </div>
      )}
      {(alert.flags.overdue || alert.flags.escalated || alert.flags.helpUnconfirmed) && (
        <div>
          <dt>{t('alert.flags')}</dt>
          <dd data-field="flags">
            {[alert.flags.overdue && t('alert.flag.overdue'), alert.flags.escalated && t('alert.flag.escalated'), alert.flags.helpUnconfirmed && t('alert.flag.helpUnconfirmed')]
              .filter(Boolean)
              .join(' · ')}
          </dd>
        </div>
      )}
    </dl>
  );
}
