/**
 * Where a `--cpu-prof` profile of the hub spent its time: self time summed
 * per function and per file/package, so the hot path is one glance. Usage
 * (also called by `npm run bench -- --profile`):
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile>
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** µs on the machine's monotonic clock (the one process.hrtime reads in every process). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Monotonic µs, comparable with a profile's sample times: `from` and `to` bound a part of the run. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

export interface ProfileLine {
  name: string;
  ms: number;
  pct: number;
}

function place(url: string): string {
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1]!;
  const repo = url.match(/\/(hub|devices|simulators|bench)\/(.+)$/);
  if (repo) return `${repo[1]}/${repo[2]}`;
  return url === '' ? '(native / GC / idle)' : url.replace(/^node:/, 'node:');
}

/** Self time per function and per place; with `window` (monotonic µs), of the samples taken inside it only. */
export function summariseProfile(profile: CpuProfile, top = 25, window?: { from: number; to: number }): { total: number; byFunction: ProfileLine[]; byPlace: ProfileLine[] } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (!node || (window && (at < window.from || at > window.to))) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = place(url);
    const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
    total += us;
  });
  const lines = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Math.round((us / total) * 1000) / 10 }));
  return { total: Math.round(total / 1000), byFunction: lines(byFunction), byPlace: lines(byPlace) };
}

/** The main thread's profile in `dir` (tsx's loader thread, when there is one, writes a second, small one). */
export async function mainProfile(dir: string): Promise<string | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  const sized = await Promise.all(files.map(async (f) => ({ f, size: (await stat(f)).size })));
  return sized.sort((a, b) => b.size - a.size)[0]?.f;
}

export type ProfileSummary = ReturnType<typeof summariseProfile>;

/**
 * Each node's main profile (under `dir`/<node>/, as --cpu-prof-dir was given
 * per node) cut to `window`, printed under `heading(node)` and returned by
 * node for the JSON. A node without a profile (killed with -9, or never
 * started) is left out.
 */
export async function nodeProfiles(dir: string, nodes: readonly string[], window: { from: number; to: number }, heading: (node: string) => string, top = 25): Promise<Record<string, ProfileSummary>> {
  const out: Record<string, ProfileSummary> = {};
  for (const node of nodes) {
    const path = await mainProfile(join(dir, node));
    if (!path) continue;
    out[node] = summariseProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, top, window);
    console.log(`\n${heading(node)}:\n${formatProfile(out[node])}\n(profile: ${path})`);
  }
  return out;
}

export function formatProfile(summary: ProfileSummary): string {
  const fmt = (l: ProfileLine) => `${String(l.pct).padStart(5)} %  ${String(l.ms).padStart(7)} ms  ${l.name}`;
  return [`profile: ${summary.total} ms sampled`, 'self time by file / package:', ...summary.byPlace.map(fmt), 'self time by function:', ...summary.byFunction.map(fmt)].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile>');
    process.exit(2);
  }
  console.log(formatProfile(summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile)));
}
