/**
 * The incident review of a resolved critical alert (issue 13 item 9; 邻安康
 * reviews every incident): what happened, what went well, what to improve,
 * whether the targets were met — and the response times, which the hub takes
 * from the alert itself. Supervisors and admins write it; everyone else reads.
 */
import { useState } from 'preact/hooks';
import { alertsApi } from '../api/alerts.js';
import type { Alert, IncidentReview, User } from '../api/types.js';
import { t } from '../i18n/index.js';
import { actorName, formatDateTime } from '../util/format.js';
import { formatSeconds } from '../util/report-format.js';
import { useAction } from '../util/use-action.js';
import { ActionError } from './action-error.js';

const REVIEWERS: ReadonlySet<string> = new Set(['admin', 'supervisor']);

function Times({ review }: { review: IncidentReview }) {
  const rows = [
    ['review.toAck', review.times.acknowledgeSeconds],
    ['review.toDispatch', review.times.dispatchSeconds],
    ['review.toScene', review.times.onSceneSeconds],
    ['review.toResolve', review.times.resolveSeconds],
  ] as const;
  return (
    <dl class="facts review-times" aria-label={t('review.times')}>
      {rows.map(([key, seconds]) => (
        <div key={key}>
          <dt>{t(key)}</dt>
          <dd>{formatSeconds(seconds)}</dd>
        </div>
      ))}
    </dl>
  );
}

function ReviewView({ review }: { review: IncidentReview }) {
  return (
    <div class="review-view" data-targets-met={String(review.targetsMet)}>
      <p class="muted">{t('review.by', { who: actorName(review.reviewedBy), at: formatDateTime(review.reviewedAt) })}</p>
      <Times review={review} />
      <dl class="facts">
        <dt>{t('review.whatHappened')}</dt>
        <dd>{review.whatHappened}</dd>
        {review.whatWentWell && <dt>{t('review.whatWentWell')}</dt>}
        {review.whatWentWell && <dd>{review.whatWentWell}</dd>}
        <dt>{t('review.toImprove')}</dt>
        <dd>{review.toImprove}</dd>
        <dt>{t('review.targetsMet')}</dt>
        <dd>{t(review.targetsMet ? 'review.yes' : 'review.no')}</dd>
      </dl>
    </div>
  );
}

function ReviewForm({ alert, onChange }: { alert: Alert; onChange(a: Alert): void }) {
  const [text, setText] = useState({ whatHappened: alert.review?.whatHappened ?? '', whatWentWell: alert.review?.whatWentWell ?? '', toImprove: alert.review?.toImprove ?? '' });
  const [met, setMet] = useState(alert.review?.targetsMet ?? false);
  const action = useAction();
  const field = (name: keyof typeof text, label: string, required: boolean) => (
    <label>
      {label}
      <textarea name={name} rows={2} maxLength={4000} required={required} value={text[name]} onInput={(e) => setText({ ...text, [name]: e.currentTarget.value })} />
    </label>
  );
  const submit = async (e: Event) => {
    e.preventDefault();
    const whatWentWell = text.whatWentWell.trim() || undefined;
    await action.run(async () => onChange(await alertsApi.review(alert.id, { whatHappened: text.whatHappened.trim(), toImprove: text.toImprove.trim(), targetsMet: met, ...(whatWentWell ? { whatWentWell } : {}) })));
  };
  return (
    <form class="action review-form" onSubmit={submit}>
      {field('whatHappened', t('review.whatHappened'), true)}
      {field('whatWentWell', t('review.whatWentWell'), false)}
      {field('toImprove', t('review.toImprove'), true)}
      <label class="check">
        <input type="checkbox" name="targetsMet" checked={met} onChange={(e) => setMet(e.currentTarget.checked)} /> {t('review.targetsMet')}
      </label>
      <button type="submit" data-action="review" disabled={action.busy || !text.whatHappened.trim() || !text.toImprove.trim()}>
        {t('review.save')}
      </button>
      <ActionError error={action.error} />
    </form>
  );
}

export function ReviewPanel({ alert, user, onChange }: { alert: Alert; user: User; onChange(a: Alert): void }) {
  if (alert.severity !== 'critical' || alert.status !== 'resolved') return null;
  return (
    <section class="card review-panel" aria-labelledby="review-title" data-reviewed={String(Boolean(alert.review))}>
      <h2 id="review-title">{t('review.title')}</h2>
      {alert.review ? <ReviewView review={alert.review} /> : <p class="muted">{t('review.none')}</p>}
      {REVIEWERS.has(user.role) && <ReviewForm key={alert.review?.reviewedAt ?? 'new'} alert={alert} onChange={onChange} />}
    </section>
  );
}
