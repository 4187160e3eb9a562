/**
 * Bundles the console: dashboard/src/main.tsx → dashboard/dist/{index.html,
 * app.js, app.css}, minified. index.html names the files with `?v=<content
 * hash>` so a browser never runs a new index.html against a cached old bundle.
 *
 * Runs inside `npm install` (prepare) and `npm start` (prestart); the browser
 * tests call `buildDashboard()` too, so they always test the current source.
 * Each file is written to a temp name and renamed, index.html last: two builds
 * at once (parallel test files) produce the same bytes and never leave a
 * half-written file for the hub to serve.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const DIST_DIR = join(HERE, 'dist');

export interface BuildResult {
  outDir: string;
  buildId: string;
  bytes: Record<string, number>;
}

export async function buildDashboard(outDir = DIST_DIR): Promise<BuildResult> {
  const result = await build({
    entryPoints: { app: join(HERE, 'src', 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    // Browsers an operator desk may run: the last two years of Chromium, Firefox ESR, Safari.
    target: ['chrome111', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: 'linked',
    outdir: outDir,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    // Module scripts are always decoded as UTF-8; escaping the Chinese strings would only add bytes.
    charset: 'utf8',
  });
  const files = new Map(result.outputFiles.map((f) => [basename(f.path), f.contents]));
  const js = files.get('app.js');
  const css = files.get('app.css');
  if (!js || !css) throw new Error(`the bundle lacks app.js or app.css: got ${[...files.keys()].join(', ')}`);
  const buildId = createHash('sha256').update(js).update(css).digest('hex').slice(0, 12);
  files.set('index.html', Buffer.from(indexHtml(buildId)));

  await mkdir(outDir, { recursive: true });
  const order = [...files.keys()].filter((name) => name !== 'index.html').concat('index.html');
  const bytes: Record<string, number> = {};
  for (const name of order) {
    const contents = files.get(name)!;
    const temp = join(outDir, `.${name}.${process.pid}.tmp`);
    await writeFile(temp, contents);
    await rename(temp, join(outDir, name));
    bytes[name] = contents.byteLength;
  }
  return { outDir, buildId, bytes };
}

/** No inline script or style: the hub's CSP allows only 'self'. */
function indexHtml(buildId: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="build-id" content="${buildId}">
<title>Home-care console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css?v=${buildId}">
<script type="module" src="/app.js?v=${buildId}"></script>
</head>
<body data-alarm="off">
<div id="app"></div>
<noscript>The console needs JavaScript.</noscript>
</body>
</html>
`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  buildDashboard().then(
    (r) => {
      const sizes = Object.entries(r.bytes)
        .map(([name, n]) => `${name} ${(n / 1024).toFixed(1)} KiB`)
        .join(', ');
      console.log(`dashboard built in ${Date.now() - started} ms (${r.buildId}): ${sizes}`);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
