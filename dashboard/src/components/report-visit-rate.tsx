/**
 * The reports' visit card (reports-page.tsx): the monthly visit rate against
 * its target, by community, and the residents not visited, for a month the
 * supervisor picks (this month by default), with its CSVs.
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api/http.js';
import type { ReportSummary, VisitRateReport } from '../api/types.js';
import { t } from '../i18n/index.js';
import { formatPercent } from '../util/report-format.js';
import { errorText } from '../util/use-action.js';
import { BarChart } from './bar-chart.js';
import { CsvLink } from './report-card-head.js';

/** The visit rate of `month` ('' for this month). */
function useVisitRate(month: string) {
  const [rate, setRate] = useState<VisitRateReport | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    get<VisitRateReport>(`/reports/visits${month ? `?month=${encodeURIComponent(month)}` : ''}`).then(
      (r) => (setRate(r), setError(undefined)),
      (err: unknown) => setError(errorText(err)),
    );
  }, [month]);
  return { rate, error };
}

export function VisitRate({ summary }: { summary: ReportSummary }) {
  const [month, setMonth] = useState('');
  const { rate, error } = useVisitRate(month);
  return (
    <section class="card report-visits" aria-labelledby="r-visits">
      <div class="card-head">
        <h2 id="r-visits">{t('reports.visitRate')}</h2>
        <label>
          {t('reports.month')} <input type="month" name="visit-month" value={month || rate?.month || ''} onChange={(e) => setMonth(e.currentTarget.value)} />
        </label>
        <CsvLink table="visits" summary={summary} /> <CsvLink table="visits-missed" summary={summary} />
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {rate && <VisitRateFigures rate={rate} />}
    </section>
  );
}

function VisitRateFigures({ rate }: { rate: VisitRateReport }) {
  return (
    <>
      <p class={`big-figure ${rate.overall.targetMet === false ? 'is-bad' : rate.overall.targetMet ? 'is-good' : ''}`} data-field="visit-rate">
        {formatPercent(rate.overall.rate)}{' '}
        <span class="muted">
          {t('reports.visitedOf', { visited: rate.overall.visited, residents: rate.overall.residents, target: formatPercent(rate.target) })}
        </span>
      </p>
      {rate.byCommunity.length > 0 && (
        <BarChart
          label={t('reports.byCommunity')}
          max={1}
          target={rate.target}
          targetLabel={formatPercent(rate.target)}
          bars={rate.byCommunity.map((c) => ({
            key: c.community ?? '-',
            label: c.community ?? t('reports.noCommunity'),
            value: c.rate ?? 0,
            text: `${formatPercent(c.rate)} (${c.visited}/${c.residents})`,
            cls: c.rate !== null && c.rate < rate.target ? 'is-bad' : 'is-good',
          }))}
        />
      )}
      <h3>{t('reports.notVisited', { n: rate.notVisited.length })}</h3>
      {rate.notVisited.length === 0 ? (
        <p class="ok-text">{t('visits.allDone')}</p>
      ) : (
        <ul class="not-visited">
          {rate.notVisited.map((r) => (
            <li key={r.residentId} data-resident-id={r.residentId}>
              <strong>{r.name}</strong> <span class="muted">{[r.community, r.address].filter(Boolean).join(' · ')}</span>
              {r.notHomeAttempts > 0 && <span class="tag">{t('visits.notHomeAttempts', { n: r.notHomeAttempts })}</span>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
