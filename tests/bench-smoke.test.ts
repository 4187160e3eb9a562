/**
 * The load benchmark cannot rot: `npm run bench -- --quick` (a few homes, a
 * few seconds, the bare-Aedes baseline only) must run end to end and write a
 * results file with sane figures. No timing targets are asserted here — the
 * bench is a script whose figures go to docs/PERFORMANCE.md, not a test.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mqttloadSource } from '../bench/c-generator.js';
import { useCleanup } from './helpers/cleanup.js';
import { REPO_ROOT } from './helpers/hub-process.js';
import { makeTempDir } from './helpers/temp-dir.js';

const keep = useCleanup();

function runBench(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n);

describe('npm run bench -- --quick', () => {
  /** Runs the smoke with one generator and checks what both generators report. */
  async function smoke(generator: 'c' | 'node') {
    const out = keep(await makeTempDir('hub-bench-smoke-'), (d) => d.remove());
    const run = await runBench(['--quick', '--generator', generator, '--baselines', 'aedes', '--homes', '3', '--duration', '2', '--out', out.path]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/sustained/);

    const files = (await readdir(out.path)).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const result = JSON.parse(await readFile(join(out.path, files[0]!), 'utf8'));
    if (generator === 'c') expect(result.notes).toEqual([]); // the C generator was found and built, not replaced
    expect(result.results.map((r: { target: string }) => r.target)).toEqual(['hub', 'aedes']);
    for (const target of result.results) {
      expect(target.connections.connected).toBe(12);
      const step = target.steps[0];
      expect(step.processedRate).toBeGreaterThan(0);
      expect(step.alarmsSent).toBeGreaterThan(0);
      expect(step.alarmsSeen).toBe(step.alarmsSent);
      expect(finite(step.alarmPubackMs.p99)).toBe(true);
      expect(finite(step.cpuUsPerMsg)).toBe(true);
    }
    const hub = result.results[0];
    expect(hub.setup.coldStartEmptyMs).toBeGreaterThan(0);
    expect(hub.connections.held).toBe(12);
    expect(result.targets.length).toBeGreaterThan(5);
    expect(Object.keys(result.ratios)).toContain('throughput hub/aedes');
    return result.results as { steps: Record<string, Record<string, number>>[]; connections: { connackMs?: Record<string, number> } }[];
  }

  // The generator's C source lives beside the checkout (../shared/tools), not in it.
  it.skipIf(!mqttloadSource())('runs the hub and the bare-Aedes baseline end to end with the C generator and writes its figures', async () => {
    for (const target of await smoke('c')) {
      for (const p of ['p50', 'p90', 'p99', 'max']) expect(finite(target.steps[0]!.telemetryPubackMs![p])).toBe(true);
      expect(finite(target.connections.connackMs?.p99)).toBe(true);
    }
  }, 300_000); // two hub runs end to end: 81 s loaded (issue 10, item 14)

  it('still runs with the Node (mqtt.js) generator, with alarm latency to the operator socket', async () => {
    for (const target of await smoke('node')) {
      for (const p of ['p50', 'p95', 'p99', 'max']) expect(finite(target.steps[0]!.alarmLatencyMs![p])).toBe(true);
    }
  }, 300_000);

  it.skipIf(!mqttloadSource())('--memory measures only starts and memory: the median of several empty starts, RSS before and per idle device, no load step', async () => {
    const out = keep(await makeTempDir('hub-bench-memory-'), (d) => d.remove());
    const run = await runBench(['--memory', '--starts', '3', '--baselines', 'none', '--homes', '3', '--out', out.path]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/cold start, empty \(ms\) +[\d,]+ \(median of 3; [\d,]+–[\d,]+\)/);
    const [file] = (await readdir(out.path)).filter((f) => f.endsWith('.json'));
    const { results, options } = JSON.parse(await readFile(join(out.path, file!), 'utf8'));
    expect(options).toMatchObject({ memory: true, starts: 3 });
    const [hub] = results;
    expect(hub.steps).toEqual([]);
    expect(hub.setup).toMatchObject({ coldStartsEmpty: 3 });
    expect(hub.setup.coldStartEmptyMinMs).toBeLessThanOrEqual(hub.setup.coldStartEmptyMs);
    expect(hub.setup.coldStartEmptyMaxMs).toBeGreaterThanOrEqual(hub.setup.coldStartEmptyMs);
    expect(finite(hub.setup.loadAvgAtColdStarts)).toBe(true);
    expect(hub.connections.connected).toBe(12);
    expect(hub.rssBeforeMiB).toBeGreaterThan(0);
    expect(finite(hub.rssPerIdleDeviceKiB)).toBe(true);
  }, 300_000);

  it('--commits --quick measures single-line commits and batches on both stores and writes them', async () => {
    const out = keep(await makeTempDir('hub-bench-commits-'), (d) => d.remove());
    const run = await runBench(['--commits', '--quick', '--store', 'both', '--out', out.path]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/postgres round 3: single p50 [\d.]+ ms/);
    const files = (await readdir(out.path)).filter((f) => f.endsWith('-commits.json'));
    expect(files).toHaveLength(1);
    const result = JSON.parse(await readFile(join(out.path, files[0]!), 'utf8'));
    expect(result.kind).toBe('commits');
    for (const store of ['postgres', 'files']) {
      expect(result.rounds[store]).toHaveLength(3);
      for (const r of result.rounds[store]) {
        expect(r.singleP50Ms).toBeGreaterThan(0);
        expect(r.singleP99Ms).toBeGreaterThanOrEqual(r.singleP50Ms);
        expect(r.batch200Ms).toBeGreaterThan(0);
      }
    }
  }, 120_000);

  it('refuses --starts that is not a positive number, with the usage', async () => {
    const run = await runBench(['--memory', '--starts', 'many']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--starts must be a positive number \(got "many"\)/);
  });
});
