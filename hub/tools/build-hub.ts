/**
 * `npm run build:hub`: bundles the hub into dist/hub.mjs with esbuild (already
 * here for the console and tsx). `npm start` runs the bundle with plain node:
 * compiling TypeScript at every start (tsx) cost ~300 ms of a 400 ms cold-start
 * budget. `import.meta.url` in hub.ts must resolve the same from dist/ as from
 * hub/ (both are one level below the repository root).
 *
 * The packages a single node runs are bundled too (issue 14, memory third
 * pass, docs/PERFORMANCE.md). Loaded from node_modules, each CommonJS package
 * an ES module imports is scanned by Node's cjs-module-lexer; at start that
 * scan ran hot enough for V8 to optimise the lexer in background threads, and
 * the compilers' freed memory stayed in those threads' malloc arenas: ~15 MB
 * of RSS and ~200 ms of CPU before the hub was ready, for a few hundred small
 * files. zod's 45 translations of its error messages are left out (its
 * `locales` namespace keeps `en`, the one the hub uses): half of zod's code,
 * and with them compiling the bundle took 12 MB of malloc'd parser memory at
 * once instead of 3.5, which the process then keeps.
 * Whitespace and comments go: one non-Latin-1 character in a comment (an em
 * dash) makes V8 keep the whole source as UTF-16, twice its size.
 */
import { build, type Plugin } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { trimSourceMap } from './trim-source-map.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Loaded from node_modules at run time: the packages only a cluster node or a
 * hub on PostgreSQL imports (dynamic imports in hub/cluster/ and
 * hub/storage/postgres/), so a single node on files neither parses nor holds
 * them; ws's optional native add-ons, required inside a try.
 */
const LOADED_FROM_NODE_MODULES = ['ioredis', 'mqemitter-redis', 'aedes-persistence-redis', 'pg', 'pg-native', 'node-pg-migrate', 'bufferutil', 'utf-8-validate'];

/**
 * Bundled CommonJS code calls `require` for Node's built-ins (and the
 * packages above): an ES module has none, so the bundle makes one. pino's
 * transports would need `__dirname` (worker files); the hub uses none.
 * write-file-atomic hashes `__filename` into its temporary file names.
 */
const BANNER = "import { createRequire as __hubCreateRequire } from 'node:module'; const require = __hubCreateRequire(import.meta.url);";

/** zod's `locales` index (every translation) replaced by English alone, which zod itself configures by default. */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (/[/\\]zod[/\\]/.test(args.importer) ? { path: join(dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, resolveDir: dirname(args.path) }));
  },
};

// Another file name lets the bench build beside npm start's bundle without reading a half-written one; another
// folder lets a test run build its own (tests/helpers/hub-bundle.ts) and leave dist/ to npm start. Either way one
// level below the root: the console, the migrations and node_modules are found from import.meta.url.
const { values } = parseArgs({ options: { outfile: { type: 'string', default: 'dist/hub.mjs' } } });
const outfile = values.outfile;
if (!/^\.?\w[\w.-]*\/[\w.-]+\.mjs$/.test(outfile)) throw new Error('--outfile must be <folder>/<name>.mjs, one level below the repository root (import.meta.url paths assume it)');
const started = Date.now();
await build({
  entryPoints: [`${root}hub/main.ts`],
  outfile: `${root}${outfile}`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: LOADED_FROM_NODE_MODULES,
  plugins: [zodEnglishOnly],
  banner: { js: BANNER },
  define: { __filename: 'import.meta.filename' },
  minifyWhitespace: true,
  // Stack traces still name our files and lines (npm start: --enable-source-maps); the map need not carry
  // every source file's text as well (it would cost the hub ~10 MB of heap at each start).
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
});
// Node decodes the whole map at the first stack it formats, and keeps it: our lines only (trim-source-map.ts).
const mapFile = `${root}${outfile}.map`;
const map = JSON.parse(await readFile(mapFile, 'utf8')) as Parameters<typeof trimSourceMap>[0];
await writeFile(mapFile, JSON.stringify(trimSourceMap(map, (source) => !source.includes('node_modules/'))));
process.stdout.write(`hub built in ${Date.now() - started} ms: ${outfile}\n`);
