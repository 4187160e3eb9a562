/**
 * How long one append + fdatasync takes on the disk the hub's data dir is on.
 * An alarm's PUBACK and its alert both wait for the journal's fsync
 * (docs/ARCHITECTURE.md), so this is the floor under both latencies: a miss
 * of the 10 ms alarm target that matches this distribution is the disk's.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentiles, type Percentiles } from './stats.js';

export async function fsyncProbe(samples = 200): Promise<Percentiles | null> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-fsync-'));
  const file = await open(join(dir, 'probe.jsonl'), 'a');
  const line = `${JSON.stringify({ n: 0, type: 'alert.raised', data: 'x'.repeat(160) })}\n`;
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      await file.write(line);
      await file.datasync();
      times.push(performance.now() - started);
    }
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
  return percentiles(times);
}
