/**
 * `npm run verify:all [-- --quick]` (issue 7): every long reliability run, one
 * after the other, each in its own process, each printing its figures and
 * writing them to tests/long/results/<name>.json; then a summary.
 * docs/RELIABILITY.md holds the latest figures and what each run proves.
 * `--quick` runs the same harnesses with smaller numbers (a few minutes).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/hub-process.js';

const quick = process.argv.includes('--quick');

const RUNS: { name: string; script: string; args: string[]; quickArgs: string[] }[] = [
  { name: 'conformance', script: 'tests/long/conformance.ts', args: [], quickArgs: [] },
  { name: 'crash', script: 'tests/long/crash.ts', args: [], quickArgs: ['--devices', '100', '--rate', '300', '--kills', '5'] },
  { name: 'fuzz', script: 'tests/long/fuzz.ts', args: [], quickArgs: ['--sessions', '50000', '--warmup', '5000', '--settleMs', '20000'] },
  { name: 'http-fuzz', script: 'tests/long/http-fuzz.ts', args: [], quickArgs: ['--sessions', '20000'] },
  { name: 'floods', script: 'tests/long/floods.ts', args: [], quickArgs: ['--idle', '1000', '--big', '20', '--seconds', '8'] },
  { name: 'backup', script: 'tests/long/backup.ts', args: [], quickArgs: ['--backups', '3'] },
  // Issue 12: kill -9 of cluster nodes, leader and standbys, under a stream of alarms (PostgreSQL + Redis).
  { name: 'cluster-chaos', script: 'tests/long/cluster-chaos.ts', args: [], quickArgs: ['--devices', '60', '--rate', '30', '--kills', '4', '--minUpMs', '4000', '--maxUpMs', '6000', '--tailMs', '5000'] },
];

function run(script: string, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code));
  });
}

const summary: string[] = [];
let failed = 0;
for (const r of RUNS) {
  const args = quick ? r.quickArgs : r.args;
  process.stdout.write(`\n=== ${r.name}: npx tsx ${r.script} ${args.join(' ')}\n`);
  const started = Date.now();
  const code = await run(r.script, args);
  let verdict = code === 0 ? 'PASS' : 'FAIL';
  try {
    const result = JSON.parse(await readFile(join(REPO_ROOT, 'tests', 'long', 'results', `${r.name}.json`), 'utf8')) as { at: string };
    if (Date.parse(result.at) < started) verdict = 'FAIL (no results written)';
  } catch {
    verdict = 'FAIL (no results written)';
  }
  if (verdict !== 'PASS') failed++;
  summary.push(`${r.name.padEnd(12)} ${verdict.padEnd(26)} ${Math.round((Date.now() - started) / 1000)} s`);
}
process.stdout.write(`\n=== verify:all${quick ? ' --quick' : ''}\n${summary.join('\n')}\nfigures: tests/long/results/*.json\n`);
process.exitCode = failed ? 1 : 0;
