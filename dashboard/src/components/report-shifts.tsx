/**
 * The report cards of issue 13: after acknowledgement (stalled alerts, late
 * responders, time to the scene), call-backs done on time, and incident
 * reviews with the critical alerts still waiting for one.
 */
import type { ReportSummary } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { actorName, formatDateTime } from '../util/format.js';
import { formatPercent, formatSeconds } from '../util/report-format.js';
import { CardHead } from './report-card-head.js';

export function FollowUpCard({ summary }: { summary: ReportSummary }) {
  const f = summary.followUp;
  return (
    <section class="card report-follow-up" aria-labelledby="r-follow-up">
      <CardHead id="r-follow-up" title={t('reports.followUp')} table="stalled-alerts" summary={summary} />
      <dl class="facts">
        <dt>{t('reports.stalledHolder')}</dt>
        <dd data-field="stalled-holder">{f.stalled.holder}</dd>
        <dt>{t('reports.stalledSupervisor')}</dt>
        <dd data-field="stalled-supervisor">{f.stalled.supervisor}</dd>
        <dt>{t('reports.respondersLate')}</dt>
        <dd data-field="responders-late">
          {t('reports.lateOf', { late: f.responders.late, n: f.responders.dispatched })} · {formatPercent(f.responders.lateShare)}
        </dd>
        <dt>{t('reports.toScene')}</dt>
        <dd>
          {formatSeconds(f.toScene.medianSeconds)} / {formatSeconds(f.toScene.p90Seconds)}
        </dd>
      </dl>
      <CardHead id="r-late" title={t('reports.respondersLate')} table="late-responders" summary={summary} />
    </section>
  );
}

export function CallbacksCard({ summary }: { summary: ReportSummary }) {
  const rows = summary.callbacks.filter((r) => r.reason === 'all' || r.due > 0);
  return (
    <section class="card report-callbacks" aria-labelledby="r-callbacks">
      <CardHead id="r-callbacks" title={t('reports.callbacks')} table="callbacks" summary={summary} />
      <table class="report-table">
        <thead>
          <tr>
            <th scope="col">{t('reports.reason')}</th>
            <th scope="col">{t('reports.cbDue')}</th>
            <th scope="col">{t('reports.cbDone')}</th>
            <th scope="col">{t('reports.cbOnTime')}</th>
            <th scope="col">{t('reports.cbOpen')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.reason} data-reason={r.reason}>
              <th scope="row">{r.reason === 'all' ? t('reports.allAlerts') : tValue('callbackReason', r.reason)}</th>
              <td>{r.due}</td>
              <td>{r.done}</td>
              <td data-field="on-time">
                {r.onTime} · {formatPercent(r.onTimeShare)}
              </td>
              <td>{r.open}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ReviewsCard({ summary }: { summary: ReportSummary }) {
  const { reviewed, awaiting } = summary.reviews;
  return (
    <section class="card report-reviews" aria-labelledby="r-reviews">
      <CardHead id="r-reviews" title={t('reports.reviews')} table="reviews" summary={summary} />
      <h3>{t('reports.reviewed', { n: reviewed.length })}</h3>
      <ul class="review-list" data-list="reviewed">
        {reviewed.map((r) => (
          <li key={r.alertId} data-alert-id={r.alertId}>
            <a href={href.alert(r.alertId)}>{tValue('kind', r.kind)}</a> · {formatDateTime(r.raisedAt)} · {actorName(r.reviewedBy)} — {r.toImprove}
          </li>
        ))}
      </ul>
      <CardHead id="r-awaiting" title={t('reports.awaiting', { n: awaiting.length })} table="reviews-awaiting" summary={summary} />
      <ul class="review-list" data-list="awaiting">
        {awaiting.map((r) => (
          <li key={r.alertId} data-alert-id={r.alertId}>
            <a href={href.alert(r.alertId)}>{tValue('kind', r.kind)}</a> · {formatDateTime(r.resolvedAt)} · {r.outcome ? tValue('outcome', r.outcome) : '—'}
          </li>
        ))}
      </ul>
    </section>
  );
}
