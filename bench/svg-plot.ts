/**
 * Latency percentiles against offered load, as a hand-written SVG (no
 * plotting dependency for one chart): x = offered msg/s, y = alarm latency
 * device publish → operator socket on a log scale, one line per percentile
 * for the hub and the p99 of each baseline dashed.
 */
import type { TargetResult } from './measure.js';

const W = 760;
const H = 420;
const M = { left: 70, right: 170, top: 40, bottom: 50 };
const COLOURS = { p50: '#2b8a3e', p95: '#e67700', p99: '#c92a2a', aedes: '#1864ab', mosquitto: '#862e9c' } as const;

interface Series {
  label: string;
  colour: string;
  dashed: boolean;
  points: { x: number; y: number }[];
}

function seriesOf(results: readonly TargetResult[]): Series[] {
  const out: Series[] = [];
  // The Node generator sees alarms on the operator socket; the C generator times their PUBACKs (p90 instead of p95).
  const latency = (s: TargetResult['steps'][number]) => s.alarmLatencyMs ?? s.alarmPubackMs;
  const points = (r: TargetResult, p: 'p50' | 'p95' | 'p99') =>
    r.steps.filter((s) => latency(s)).map((s) => ({ x: s.offeredRate, y: Math.max(0.1, latency(s)![p] ?? latency(s)!.p90 ?? NaN) }));
  const hub = results.find((r) => r.target === 'hub');
  if (hub) for (const p of ['p50', 'p95', 'p99'] as const) out.push({ label: `hub ${p}`, colour: COLOURS[p], dashed: false, points: points(hub, p) });
  for (const r of results.filter((x) => x.target !== 'hub')) {
    out.push({ label: `${r.target} p99`, colour: COLOURS[r.target as 'aedes' | 'mosquitto'] ?? '#495057', dashed: true, points: points(r, 'p99') });
  }
  return out;
}

export function latencyPlot(results: readonly TargetResult[], title: string): string {
  const series = seriesOf(results);
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p.x)) * 1.05;
  const yMin = 0.1;
  const yMax = Math.max(10, ...all.map((p) => p.y)) * 1.5;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + (x / xMax) * pw;
  const sy = (y: number) => M.top + ph - ((Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph;
  const parts: string[] = [];
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fff" stroke="#adb5bd"/>`);
  for (let d = Math.ceil(Math.log10(yMin)); d <= Math.log10(yMax); d++) {
    const y = sy(10 ** d);
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#e9ecef"/><text x="${M.left - 8}" y="${y + 4}" text-anchor="end">${10 ** d} ms</text>`);
  }
  for (const ref of [10, 50]) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(ref)}" y2="${sy(ref)}" stroke="#868e96" stroke-dasharray="2 4"/><text x="${M.left + pw - 4}" y="${sy(ref) - 4}" text-anchor="end" fill="#868e96">${ref} ms target</text>`);
  }
  const step = niceStep(xMax);
  for (let x = 0; x <= xMax; x += step) {
    parts.push(`<line x1="${sx(x)}" x2="${sx(x)}" y1="${M.top + ph}" y2="${M.top + ph + 5}" stroke="#495057"/><text x="${sx(x)}" y="${M.top + ph + 20}" text-anchor="middle">${x.toLocaleString('en-US')}</text>`);
  }
  series.forEach((s, i) => {
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of s.points) parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.colour}"/>`);
    const ly = M.top + 10 + i * 20;
    parts.push(`<line x1="${W - M.right + 15}" x2="${W - M.right + 40}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="${W - M.right + 46}" y="${ly + 4}">${s.label}</text>`);
  });
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle">offered load (msg/s, sent by the generator)</text>`);
  parts.push(`<text x="16" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + ph / 2})">alarm latency, publish → operator socket</text>`);
  parts.push(`<text x="${M.left}" y="24" font-weight="bold">${escapeXml(title)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">\n<rect width="${W}" height="${H}" fill="#f8f9fa"/>\n${parts.join('\n')}\n</svg>\n`;
}

function niceStep(max: number): number {
  const raw = max / 6;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? p * 10;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
