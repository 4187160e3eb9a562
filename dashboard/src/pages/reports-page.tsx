/**
 * Supervisor reports (issue 5) over a chosen period: alerts by kind and
 * severity, answer times against the telecare standard (97.5 % ≤ 60 s,
 * 99 % ≤ 180 s), time to dispatch and resolve, outcomes, false alarms per
 * device kind, devices offline now, and the monthly visit rate with the
 * residents not visited. Every table has its CSV (the hub's, same period).
 * Definitions: docs/REPORTS.md.
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api/http.js';
import type { AnswerShare, Durations, ReportSummary, ResponseTimes } from '../api/types.js';
import { BarChart } from '../components/bar-chart.js';
import { CardHead } from '../components/report-card-head.js';
import { CallbacksCard, FollowUpCard, ReviewsCard } from '../components/report-shifts.js';
import { VisitRate } from '../components/report-visit-rate.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { formatAgo, formatDateTime } from '../util/format.js';
import { errorText } from '../util/use-action.js';
import { formatPercent, formatSeconds, periodOf, type Preset, PRESETS } from '../util/report-format.js';

interface Period {
  preset: Preset;
  from: string;
  to: string;
}

function ShareGauge({ share, name }: { share: AnswerShare; name: string }) {
  const verdict = share.met === null ? 'pending' : share.met ? 'met' : 'missed';
  return (
    <div class={`gauge gauge-${verdict}`} data-limit={share.limitSeconds} data-met={String(share.met)}>
      <div class="gauge-figure">{formatPercent(share.share)}</div>
      <div class="gauge-text">
        <strong>{name}</strong>
        <span>
          {t('reports.target', { target: formatPercent(share.target) })} · {t(`reports.verdict.${verdict}`)}
        </span>
        <span class="muted">{t('reports.answeredOf', { answered: share.answered, decided: share.answered + share.missed, pending: share.pending })}</span>
      </div>
      <BarChart
        label={name}
        max={1}
        target={share.target}
        targetLabel={formatPercent(share.target)}
        bars={[{ key: 'share', label: t('reports.share'), value: share.share ?? 0, text: formatPercent(share.share), cls: verdict === 'missed' ? 'is-bad' : verdict === 'met' ? 'is-good' : '' }]}
      />
    </div>
  );
}

const dur = (d: Durations) => `${formatSeconds(d.medianSeconds)} / ${formatSeconds(d.p90Seconds)}`;

function AnswerTimes({ summary }: { summary: ReportSummary }) {
  const all = summary.responseTimes.find((r) => r.scope === 'all');
  return (
    <section class="card report-answer" aria-labelledby="r-answer">
      <CardHead id="r-answer" title={t('reports.answerTimes')} table="answer-times" summary={summary} />
      {all && (
        <div class="gauges">
          <ShareGauge share={all.within60s} name={t('reports.within', { s: 60 })} />
          <ShareGauge share={all.within180s} name={t('reports.within', { s: 180 })} />
        </div>
      )}
      <table class="report-table">
        <thead>
          <tr>
            <th scope="col">{t('reports.scope')}</th>
            <th scope="col">{t('reports.alerts')}</th>
            <th scope="col">≤ 60 s</th>
            <th scope="col">≤ 180 s</th>
            <th scope="col">{t('reports.toAck')}</th>
            <th scope="col">{t('reports.toDispatch')}</th>
            <th scope="col">{t('reports.toResolve')}</th>
          </tr>
        </thead>
        <tbody>
          {summary.responseTimes.map((r: ResponseTimes) => (
            <tr key={r.scope} data-scope={r.scope}>
              <th scope="row">{r.scope === 'all' ? t('reports.allAlerts') : tValue('severity', r.scope)}</th>
              <td>{r.alerts}</td>
              <td class={r.within60s.met === false ? 'is-bad' : undefined}>{formatPercent(r.within60s.share)}</td>
              <td class={r.within180s.met === false ? 'is-bad' : undefined}>{formatPercent(r.within180s.share)}</td>
              <td>{dur(r.toAcknowledge)}</td>
              <td>{dur(r.toDispatch)}</td>
              <td>{dur(r.toResolve)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="hint">{t('reports.medianP90')}</p>
    </section>
  );
}

function Report({ summary }: { summary: ReportSummary }) {
  const s = summary;
  const now = Date.now();
  return (
    <div class="report-grid" data-total={s.alerts.total}>
      <section class="card" aria-labelledby="r-kind">
        <CardHead id="r-kind" title={t('reports.byKind', { n: s.alerts.total })} table="alerts-by-kind" summary={s} />
        {s.alerts.byKind.length === 0 ? (
          <p class="muted">{t('reports.noAlerts')}</p>
        ) : (
          <BarChart label={t('reports.byKind', { n: s.alerts.total })} bars={s.alerts.byKind.map((k) => ({ key: k.kind, label: tValue('kind', k.kind), value: k.alerts, text: `${k.alerts} · ${formatPercent(k.share)}` }))} />
        )}
      </section>
      <section class="card" aria-labelledby="r-sev">
        <CardHead id="r-sev" title={t('reports.bySeverity')} table="alerts-by-severity" summary={s} />
        <BarChart label={t('reports.bySeverity')} bars={s.alerts.bySeverity.map((k) => ({ key: k.severity, label: tValue('severity', k.severity), value: k.alerts, cls: `sev-${k.severity}` }))} />
      </section>
      <AnswerTimes summary={s} />
      <FollowUpCard summary={s} />
      <CallbacksCard summary={s} />
      <ReviewsCard summary={s} />
      <section class="card" aria-labelledby="r-outcomes">
        <CardHead id="r-outcomes" title={t('reports.outcomes')} table="outcomes" summary={s} />
        <BarChart label={t('reports.outcomes')} bars={s.outcomes.rows.map((o) => ({ key: o.outcome, label: tValue('outcome', o.outcome), value: o.alerts, text: `${o.alerts} · ${formatPercent(o.share)}` }))} />
        <p class="muted">{t('reports.unresolved', { n: s.outcomes.unresolved })}</p>
      </section>
      <section class="card" aria-labelledby="r-false">
        <CardHead id="r-false" title={t('reports.falseAlarms')} table="false-alarms" summary={s} />
        {s.falseAlarms.length === 0 ? (
          <p class="muted">{t('reports.noResolved')}</p>
        ) : (
          <BarChart
            label={t('reports.falseAlarms')}
            max={1}
            bars={s.falseAlarms.map((f) => ({ key: f.deviceKind, label: tValue('deviceKind', f.deviceKind), value: f.rate, text: `${formatPercent(f.rate)} (${f.falseAlarms}/${f.resolved})` }))}
          />
        )}
      </section>
      <section class="card" aria-labelledby="r-devices">
        <CardHead id="r-devices" title={t('reports.devices')} table="devices-offline" summary={s} />
        <p class="big-figure" data-field="online-rate">
          {formatPercent(s.devices.onlineRate)} <span class="muted">{t('reports.onlineOf', { online: s.devices.online, total: s.devices.total, offline: s.devices.offline, unknown: s.devices.unknown })}</span>
        </p>
        {s.devices.notOnline.length > 0 && (
          <ul class="offline-list">
            {s.devices.notOnline.slice(0, 8).map((d) => (
              <li key={d.deviceId} data-device-id={d.deviceId}>
                <span class={`dot dot-${d.status}`}>{t(`device.${d.status === 'unknown' ? 'unknown' : d.status}`)}</span> {tValue('deviceKind', d.kind)} — {d.homeName}{' '}
                <span class="muted">{formatAgo(d.lastSeen, now)}</span>
              </li>
            ))}
            {s.devices.notOnline.length > 8 && <li class="muted">{t('reports.more', { n: s.devices.notOnline.length - 8 })}</li>}
          </ul>
        )}
      </section>
      <VisitRate summary={s} />
    </div>
  );
}

/** The summary of the chosen period, read again when it changes (a custom period once both dates are valid). */
function useReportSummary(period: Period) {
  const [summary, setSummary] = useState<ReportSummary | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const range = periodOf(period.preset, period.from, period.to);
    if (!range) return;
    let live = true;
    setBusy(true);
    const q = range.from ? `?${new URLSearchParams({ from: range.from, to: range.to }).toString()}` : '';
    get<ReportSummary>(`/reports/summary${q}`).then(
      (s) => live && (setSummary(s), setError(undefined), setBusy(false)),
      (err: unknown) => live && (setError(errorText(err)), setBusy(false)),
    );
    return () => {
      live = false;
    };
  }, [period.preset, period.from, period.to]);
  return { summary, error, busy };
}

export function ReportsPage() {
  const [period, setPeriod] = useState<Period>({ preset: 'thisMonth', from: '', to: '' });
  const { summary, error, busy } = useReportSummary(period);
  return (
    <section class="reports-page" data-page="reports" aria-labelledby="reports-title" aria-busy={busy}>
      <PeriodForm period={period} onPeriod={setPeriod} summary={summary} />
      <p class="hint" data-field="drills-excluded">
        <a href={href.drills()}>{t('reports.drillsExcluded')}</a>
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!summary && !error && <p class="loading">{t('common.loading')}</p>}
      {summary && <Report summary={summary} />}
    </section>
  );
}

/** The title, the period (a preset or two dates) and the period the hub reported on. */
function PeriodForm({ period, onPeriod, summary }: { period: Period; onPeriod(p: Period): void; summary: ReportSummary | undefined }) {
  return (
    <form class="page-toolbar" onSubmit={(e) => e.preventDefault()}>
      <h1 id="reports-title">{t('reports.title')}</h1>
      <label>
        {t('reports.period')}{' '}
        <select name="preset" value={period.preset} onChange={(e) => onPeriod({ ...period, preset: e.currentTarget.value as Preset })}>
          {PRESETS.map((p) => (
            <option key={p} value={p}>
              {t(`reports.preset.${p}`)}
            </option>
          ))}
        </select>
      </label>
      {period.preset === 'custom' && (
        <>
          <label>
            {t('reports.from')} <input type="date" name="from" value={period.from} onChange={(e) => onPeriod({ ...period, from: e.currentTarget.value })} />
          </label>
          <label>
            {t('reports.to')} <input type="date" name="to" value={period.to} onChange={(e) => onPeriod({ ...period, to: e.currentTarget.value })} />
          </label>
        </>
      )}
      {summary && (
        <span class="muted" data-field="period">
          {t('reports.periodShown', { from: formatDateTime(summary.period.from), to: formatDateTime(summary.period.to), tz: summary.period.timezone })}
        </span>
      )}
    </form>
  );
}
