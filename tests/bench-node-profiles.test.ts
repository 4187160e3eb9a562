/**
 * `npm run bench -- --nodes N --profile` and `--storm --nodes N --profile`
 * print each node's CPU profile cut to the measured seconds
 * (bench/profile-summary.ts nodeProfiles): the node's main profile is the
 * largest in its folder, only samples inside the window count, and a node
 * without a profile (killed with -9) is left out.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeProfiles } from '../bench/profile-summary.js';
import { useCleanup } from './helpers/cleanup.js';
import { makeTempDir } from './helpers/temp-dir.js';

const keep = useCleanup();
afterEach(() => vi.restoreAllMocks());

/** Samples at 1,100 (outside), 2,100 and 3,100 (inside), 8,100 µs (outside) on the profile's clock. */
const PROFILE = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3] },
    { id: 2, callFrame: { functionName: 'inside', url: 'file:///repo/hub/a.ts', lineNumber: 9 } },
    { id: 3, callFrame: { functionName: 'outside', url: 'file:///repo/hub/b.ts', lineNumber: 0 } },
  ],
  startTime: 1_000,
  samples: [3, 2, 2, 3],
  timeDeltas: [100, 1_000, 1_000, 5_000],
};

describe('bench: each node’s profile cut to the measured seconds', () => {
  it('summarises only the window’s samples of each node’s main profile, and leaves out a node without one', async () => {
    const dir = keep(await makeTempDir('hub-node-profiles-'), (d) => d.remove()).path;
    await mkdir(join(dir, 'node-a'));
    await writeFile(join(dir, 'node-a', 'CPU.main.cpuprofile'), JSON.stringify(PROFILE));
    // tsx's loader thread writes a second, smaller profile: it must not be taken for the main one.
    await writeFile(join(dir, 'node-a', 'CPU.loader.cpuprofile'), JSON.stringify({ ...PROFILE, samples: [], timeDeltas: [] }));
    const printed = vi.spyOn(console, 'log').mockImplementation(() => undefined);

    const out = await nodeProfiles(dir, ['node-a', 'node-b'], { from: 2_000, to: 4_000 }, (node) => `${node}, the step`);

    expect(Object.keys(out)).toEqual(['node-a']);
    expect(out['node-a']!.total).toBe(2);
    expect(out['node-a']!.byFunction).toEqual([{ name: 'inside hub/a.ts:10', ms: 2, pct: 100 }]);
    expect(printed).toHaveBeenCalledTimes(1);
    expect(String(printed.mock.calls[0]![0])).toContain('node-a, the step:');
  });
});
