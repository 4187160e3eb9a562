/**
 * The bundle's source map keeps one mapping per line of our own code and
 * leaves the bundled packages unmapped (hub/tools/trim-source-map.ts): a
 * stack frame in our code still reads file:line, one in a package is not
 * attributed to a line of ours. Checked with Node's own SourceMap (what
 * --enable-source-maps uses) on a map esbuild made.
 */
import { build } from 'esbuild';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { describe, expect, it } from 'vitest';
import { trimSourceMap } from '../hub/tools/trim-source-map.js';

const OWN = ["import { helper } from 'dep';", 'export function own(n: number) {', '  const twice = n * 2; const text = "own-marker";', '  return helper(twice) + text;', '}', ''].join('\n');
const DEP = ['exports.helper = function helper(n) {', '  var label = "dep-marker"; return label + n;', '};', ''].join('\n');

async function bundle(): Promise<{ code: string; map: SourceMapPayload }> {
  const result = await build({
    stdin: { contents: "export { own } from './own.ts';", loader: 'ts', resolveDir: '/virtual' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    minifyWhitespace: true,
    sourcemap: 'external',
    sourcesContent: false,
    write: false,
    outfile: '/virtual/out.mjs',
    plugins: [
      {
        name: 'virtual',
        setup(b) {
          b.onResolve({ filter: /^\.\/own\.ts$/ }, () => ({ path: '/virtual/hub/own.ts', namespace: 'virtual' }));
          b.onResolve({ filter: /^dep$/ }, () => ({ path: '/virtual/node_modules/dep/index.js', namespace: 'virtual' }));
          b.onLoad({ filter: /own\.ts$/, namespace: 'virtual' }, () => ({ contents: OWN, loader: 'ts' }));
          b.onLoad({ filter: /index\.js$/, namespace: 'virtual' }, () => ({ contents: DEP, loader: 'js' }));
        },
      },
    ],
  });
  const file = (suffix: string) => result.outputFiles.find((f) => f.path.endsWith(suffix))!.text;
  return { code: file('.mjs'), map: JSON.parse(file('.map')) as SourceMapPayload };
}

/** Generated line and column (0-based) of the first occurrence of `text`. */
function positionOf(code: string, text: string): [number, number] {
  const lines = code.split('\n');
  const line = lines.findIndex((l) => l.includes(text));
  return [line, lines[line]!.indexOf(text)];
}

describe('the bundle source map, trimmed', () => {
  it('maps our code to its lines, leaves the packages unmapped, and has fewer mappings', async () => {
    const { code, map } = await bundle();
    const trimmed = trimSourceMap(map, (source) => !source.includes('node_modules'));
    const before = new SourceMap(map);
    const after = new SourceMap(trimmed);

    const own = positionOf(code, '"own-marker"');
    expect(before.findEntry(...own)).toMatchObject({ originalSource: expect.stringContaining('hub/own.ts'), originalLine: 2 });
    expect(after.findEntry(...own)).toMatchObject({ originalSource: expect.stringContaining('hub/own.ts'), originalLine: 2 });

    const dep = positionOf(code, '"dep-marker"');
    expect(before.findEntry(...dep)).toMatchObject({ originalSource: expect.stringContaining('node_modules/dep'), originalLine: 1 });
    expect((after.findEntry(...dep) as { originalSource?: string }).originalSource).toBeUndefined();

    const segments = (m: SourceMapPayload) => m.mappings.split(/[;,]/).filter(Boolean).length;
    expect(segments(trimmed)).toBeLessThan(segments(map) / 2);
    expect(trimmed.sources).toEqual(map.sources);
  });

  it('refuses mappings that are not base64 VLQ, naming the character', () => {
    expect(() => trimSourceMap({ version: 3, file: 'out.mjs', sourceRoot: '', sources: ['a.ts'], sourcesContent: [], names: [], mappings: 'AAAA,A!' }, () => true)).toThrow('"!" is not base64 VLQ');
  });
});
