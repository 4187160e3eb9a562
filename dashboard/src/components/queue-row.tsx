/**
 * One alert in the queue: a link (Tab / Enter work without script) of fixed
 * height. It re-renders only when its alert or home changes; its SLA colour
 * changes by itself at 60 s and 180 s while the alert is unacknowledged.
 */
import { Component } from 'preact';
import type { AlertSummary, HomeView } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { actorName } from '../util/format.js';
import { slaLevel, type SlaLevel } from '../util/sla.js';
import { alertWho } from '../util/who.js';
import { onTick } from '../util/ticker.js';
import { DrillTag } from './drill-tag.js';
import { Elapsed } from './elapsed.js';

export interface QueueRowProps {
  alert: AlertSummary;
  home: HomeView | undefined;
  tabbable: boolean;
  fresh: boolean;
}

function statusText(alert: AlertSummary): string {
  if (alert.status === 'acknowledged') return t('queue.status.acknowledgedBy', { who: actorName(alert.acknowledgedBy) });
  if (alert.status === 'dispatched') return t('queue.status.dispatchedBy', { n: alert.responders.length, who: actorName(alert.acknowledgedBy) });
  return tValue('status', alert.status);
}

export class QueueRow extends Component<QueueRowProps, { sla: SlaLevel }> {
  private off: (() => void) | undefined;

  constructor(props: QueueRowProps) {
    super(props);
    this.state = { sla: slaLevel(props.alert, Date.now()) };
  }

  override shouldComponentUpdate(next: QueueRowProps, nextState: { sla: SlaLevel }): boolean {
    const p = this.props;
    return next.alert !== p.alert || next.home !== p.home || next.tabbable !== p.tabbable || next.fresh !== p.fresh || nextState.sla !== this.state.sla;
  }

  override componentDidMount(): void {
    this.off = onTick((now) => this.checkSla(now));
  }

  override componentDidUpdate(): void {
    this.checkSla(Date.now());
  }

  override componentWillUnmount(): void {
    this.off?.();
  }

  private checkSla(now: number): void {
    const sla = slaLevel(this.props.alert, now);
    if (sla !== this.state.sla) this.setState({ sla });
  }

  override render() {
    const { alert, home, tabbable, fresh } = this.props;
    const who = alertWho(alert, home);
    const cls = ['queue-row', `sev-${alert.severity}`, `sla-${this.state.sla}`, `status-${alert.status}`, fresh ? 'is-fresh' : ''].join(' ');
    return (
      <li class="queue-item">
        <a class={cls} href={href.alert(alert.id)} tabIndex={tabbable ? 0 : -1} data-alert-id={alert.id} data-status={alert.status} data-sla={this.state.sla}>
          <span class={`sev-badge sev-${alert.severity}`}>{tValue('severity', alert.severity)}</span>
          <span class="col-kind">
            {tValue('kind', alert.kind)}
            {alert.occurrences > 1 && <span class="occurrences"> ×{alert.occurrences}</span>} <DrillTag alert={alert} />
          </span>
          <span class="col-resident">{who ?? '…'}</span>
          <span class="col-home">{home ? [home.name, home.address].filter(Boolean).join(' · ') : alert.homeId}</span>
          <span class="col-status">
            {statusText(alert)}
            {alert.flags.stalled && alert.status === 'acknowledged' && (
              <span class="tag tag-warn" data-flag="stalled">
                {t(alert.flags.stalled === 'supervisor' ? 'queue.stalledSupervisor' : 'queue.stalled')}
              </span>
            )}
            {alert.status !== 'resolved' && alert.responders.some((r) => r.late && (r.state === 'notified' || r.state === 'accepted')) && (
              <span class="tag tag-warn" data-flag="responderLate">
                {t('queue.responderLate')}
              </span>
            )}
            {alert.flags.helpUnconfirmed && (
              <span class="tag tag-warn help-unconfirmed" data-flag="helpUnconfirmed">
                {t('queue.helpUnconfirmed')}
              </span>
            )}
          </span>
          <Elapsed since={alert.raisedAt} class="col-age" />
        </a>
      </li>
    );
  }
}
