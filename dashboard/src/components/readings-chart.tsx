/**
 * The last 24 h of heart rate (line, left axis) and activity (steps per hour,
 * bars, right axis) of the home's bracelet, drawn as inline SVG. The data
 * source is a prop so the chart can move to the hub's bucketed series later.
 */
import { useEffect, useState } from 'preact/hooks';
import { bucketedSource, type SeriesSource } from '../api/series-source.js';
import { t } from '../i18n/index.js';
import { niceMax, splitAtGaps, type Series } from '../util/series.js';

const DAY = 24 * 3_600_000;
const REFRESH_MS = 60_000;
const W = 360;
const H = 170;
const M = { left: 30, right: 34, top: 8, bottom: 20 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;
const GAP_MS = 30 * 60_000;

function useSeries(deviceId: string | undefined, source: SeriesSource) {
  const [series, setSeries] = useState<Series | undefined>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!deviceId) return;
    let live = true;
    const load = () => {
      const to = Date.now();
      source(deviceId, to - DAY, to).then(
        (s) => live && (setSeries(s), setFailed(false)),
        () => live && setFailed(true),
      );
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [deviceId, source]);
  return { series, failed };
}

function hourLabel(at: number): string {
  return `${String(new Date(at).getHours()).padStart(2, '0')}:00`;
}

function Plot({ series }: { series: Series }) {
  const span = series.to - series.from;
  const x = (at: number) => M.left + ((at - series.from) / span) * PLOT_W;
  const hrValues = series.heartRate.map((p) => p.value);
  const hrMin = Math.min(40, ...hrValues);
  const hrMax = Math.max(160, ...hrValues);
  const yHr = (v: number) => M.top + PLOT_H - ((v - hrMin) / (hrMax - hrMin)) * PLOT_H;
  const stepsMax = niceMax(Math.max(...series.stepsPerHour.map((p) => p.value)));
  const barW = (PLOT_W / series.stepsPerHour.length) * 0.8;
  const ticks = [0, 6, 12, 18, 24].map((h) => series.from + (h / 24) * span);

  return (
    <g>
      {[60, 100, 140].map((v) => (
        <g key={v} class="grid">
          <line x1={M.left} x2={M.left + PLOT_W} y1={yHr(v)} y2={yHr(v)} />
          <text x={M.left - 4} y={yHr(v) + 3} text-anchor="end">
            {v}
          </text>
        </g>
      ))}
      <text class="axis-label" x={W - 2} y={M.top + 8} text-anchor="end">
        {stepsMax}
      </text>
      {series.stepsPerHour.map((p) =>
        p.value > 0 ? (
          <rect key={p.at} class="steps-bar" x={x(p.at) + 1} width={barW} y={M.top + PLOT_H - (p.value / stepsMax) * PLOT_H} height={(p.value / stepsMax) * PLOT_H} />
        ) : null,
      )}
      {splitAtGaps(series.heartRate, GAP_MS).map((run, i) =>
        run.length === 1 ? (
          <circle key={i} class="hr-dot" cx={x(run[0]!.at)} cy={yHr(run[0]!.value)} r={2} />
        ) : (
          <polyline key={i} class="hr-line" points={run.map((p) => `${x(p.at).toFixed(1)},${yHr(p.value).toFixed(1)}`).join(' ')} />
        ),
      )}
      {ticks.map((at) => (
        <text key={at} class="tick" x={x(at)} y={H - 4} text-anchor="middle">
          {hourLabel(at)}
        </text>
      ))}
      <line class="axis" x1={M.left} x2={M.left + PLOT_W} y1={M.top + PLOT_H} y2={M.top + PLOT_H} />
    </g>
  );
}

export function ReadingsChart({ deviceId, source = bucketedSource }: { deviceId: string | undefined; source?: SeriesSource }) {
  const { series, failed } = useSeries(deviceId, source);
  const hr = series?.heartRate ?? [];
  const last = hr[hr.length - 1];
  const steps = series?.stepsPerHour.reduce((n, p) => n + p.value, 0) ?? 0;
  const summary = last
    ? t('chart.summary', { min: Math.min(...hr.map((p) => p.value)), max: Math.max(...hr.map((p) => p.value)), last: last.value, steps: Math.round(steps) })
    : t('chart.noData');
  return (
    <section class="card chart-card" aria-labelledby="chart-title">
      <h2 id="chart-title">{t('chart.title')}</h2>
      {!deviceId ? (
        <p class="muted">{t('chart.noBracelet')}</p>
      ) : (
        <>
          <p class="chart-legend">
            <span class="legend-hr">{t('chart.heartRate')}</span> <span class="legend-steps">{t('chart.steps')}</span>
            {last && <span class="chart-now">{t('chart.latest', { bpm: last.value })}</span>}
          </p>
          <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} data-points={hr.length}>
            {series && <Plot series={series} />}
          </svg>
          <p class="muted chart-summary">{failed ? t('chart.failed') : summary}</p>
        </>
      )}
    </section>
  );
}
