/**
 * `npm run build:hub`: bundles the hub into dist/hub.mjs with esbuild (already
 * here for the console and tsx). `npm start` runs the bundle with plain node:
 * compiling TypeScript at every start (tsx) cost ~300 ms of a 400 ms cold-start
 * budget. Packages stay external (node_modules is there at run time); our own
 * code is one file, so `import.meta.url` in hub.ts must resolve the same from
 * dist/ as from hub/ (both are one level below the repository root).
 */
import { build } from 'esbuild';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Another file name in dist/ lets tests and the bench build side by side without reading a half-written bundle.
const { values } = parseArgs({ options: { outfile: { type: 'string', default: 'dist/hub.mjs' } } });
const outfile = values.outfile;
if (!/^dist\/[\w.-]+\.mjs$/.test(outfile)) throw new Error('--outfile must be dist/<name>.mjs (import.meta.url paths assume dist/)');
const started = Date.now();
await build({
  entryPoints: [`${root}hub/main.ts`],
  outfile: `${root}${outfile}`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
process.stdout.write(`hub built in ${Date.now() - started} ms: ${outfile}\n`);
