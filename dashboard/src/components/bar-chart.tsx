/**
 * Horizontal bars as inline SVG (no chart library, nothing for the CSP to
 * refuse): one row per item, its label on the left, its value on the right,
 * and optionally a target line (e.g. 97.5 %). The figures are in the table
 * next to it too; the SVG's label sums them up for screen readers.
 */
export interface Bar {
  key: string;
  label: string;
  value: number;
  /** What is written at the end of the bar; default: the value. */
  text?: string;
  /** Extra class for the bar: sev-critical, is-bad… */
  cls?: string;
}

const W = 460;
const ROW = 26;
const LABEL_W = 150;
const VALUE_W = 70;
const BAR_W = W - LABEL_W - VALUE_W - 8;

export function BarChart({ bars, max, target, label, targetLabel }: { bars: Bar[]; max?: number; target?: number; label: string; targetLabel?: string }) {
  const top = Math.max(max ?? 0, ...bars.map((b) => b.value), 1e-9);
  const h = bars.length * ROW + (target !== undefined ? 14 : 4);
  const x = (v: number) => LABEL_W + (Math.max(0, v) / top) * BAR_W;
  return (
    <svg class="bar-chart" viewBox={`0 0 ${W} ${h}`} role="img" aria-label={`${label}: ${bars.map((b) => `${b.label} ${b.text ?? b.value}`).join(', ')}`}>
      {bars.map((b, i) => (
        <g key={b.key} transform={`translate(0 ${i * ROW + (target !== undefined ? 12 : 2)})`}>
          <text class="bar-label" x={LABEL_W - 6} y={ROW / 2 + 4} text-anchor="end">
            {b.label.length > 22 ? `${b.label.slice(0, 21)}…` : b.label}
          </text>
          <rect class="bar-track" x={LABEL_W} y={4} width={BAR_W} height={ROW - 8} rx={3} />
          <rect class={`bar ${b.cls ?? ''}`} x={LABEL_W} y={4} width={Math.max(b.value > 0 ? 2 : 0, x(b.value) - LABEL_W)} height={ROW - 8} rx={3} />
          <text class="bar-value" x={LABEL_W + BAR_W + 6} y={ROW / 2 + 4}>
            {b.text ?? String(b.value)}
          </text>
        </g>
      ))}
      {target !== undefined && (
        <g class="bar-target">
          <line x1={x(target)} x2={x(target)} y1={8} y2={h} />
          <text x={x(target)} y={8} text-anchor="middle">
            {targetLabel ?? ''}
          </text>
        </g>
      )}
    </svg>
  );
}
