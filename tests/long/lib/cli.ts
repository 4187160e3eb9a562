/** Shared bits of the long-run scripts: flags, results file, exit code. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../helpers/hub-process.js';

/** Parses `--name value` flags into numbers (or strings), with defaults. */
export function numericFlags<T extends Record<string, number>>(defaults: T, argv = process.argv.slice(2)): T {
  const options = Object.fromEntries(Object.keys(defaults).map((k) => [k, { type: 'string' as const }]));
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const out: Record<string, number> = { ...defaults };
  for (const [k, v] of Object.entries(values)) {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${k} must be a number`);
    out[k] = n;
  }
  return out as T;
}

/** Writes figures to tests/long/results/<name>.json and prints them. */
export async function report(name: string, figures: Record<string, unknown>, pass: boolean): Promise<void> {
  const dir = join(REPO_ROOT, 'tests', 'long', 'results');
  await mkdir(dir, { recursive: true });
  const body = { name, at: new Date().toISOString(), pass, ...figures };
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(body, null, 2)}\n`);
  process.stdout.write(`\n${name}: ${pass ? 'PASS' : 'FAIL'}\n${JSON.stringify(figures, null, 2)}\n`);
  if (!pass) process.exitCode = 1;
}

export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(url);
}
