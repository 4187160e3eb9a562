/**
 * The hub bundle's source map, cut to what a stack trace needs (build-hub.ts).
 * `npm start` runs with --enable-source-maps, and Node decodes the whole map
 * the first time it formats a stack that crosses the bundle, then keeps it:
 * with the bundled packages' mappings that was +40 MB of RSS at the first
 * logged error (issue 14, memory third pass). Kept: the first mapping of
 * each original line of the sources `keep` accepts (our own code); a frame
 * there still reads hub/…/file.ts:line. Elsewhere (the packages) a frame is
 * left unmapped, with its function name and bundle position, rather than
 * pointing at the nearest line of ours.
 *
 * Source map v3 "mappings": generated lines separated by `;`, segments by
 * `,`; each segment is base64 VLQ numbers: generated column (relative within
 * the line), then source index, original line, original column and name
 * index, each relative to the previous segment that had them.
 */

import type { SourceMapPayload } from 'node:module';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

function decodeSegment(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`source map: "${char}" is not base64 VLQ`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function encode(n: number): string {
  let value = n < 0 ? -n * 2 + 1 : n * 2;
  let out = '';
  do {
    let digit = value % 32;
    value = Math.floor(value / 32);
    if (value > 0) digit |= 32;
    out += BASE64[digit];
  } while (value > 0);
  return out;
}

/** One mapping per original line of the kept sources; everything else unmapped. */
export function trimSourceMap(map: SourceMapPayload, keep: (source: string) => boolean): SourceMapPayload {
  const kept = map.sources.map(keep);
  const read = { source: 0, line: 0, column: 0, name: 0 };
  const written = { source: 0, line: 0, column: 0, name: 0 };
  const lines = map.mappings.split(';').map((generatedLine) => {
    const out: string[] = [];
    let column = 0;
    let writtenColumn = 0;
    /** What the last segment written on this line maps to: `source:line`, or '' for unmapped. */
    let last: string | undefined;
    for (const segment of generatedLine.split(',')) {
      if (segment === '') continue;
      const [dColumn = 0, dSource, dLine, dColumnOrig, dName] = decodeSegment(segment);
      column += dColumn;
      let target = '';
      if (dSource !== undefined && dLine !== undefined && dColumnOrig !== undefined) {
        read.source += dSource;
        read.line += dLine;
        read.column += dColumnOrig;
        if (dName !== undefined) read.name += dName;
        if (kept[read.source]) target = `${read.source}:${read.line}`;
      }
      if (target === last) continue;
      let fields = encode(column - writtenColumn);
      if (target !== '') {
        fields += encode(read.source - written.source) + encode(read.line - written.line) + encode(read.column - written.column);
        Object.assign(written, { source: read.source, line: read.line, column: read.column });
        if (dName !== undefined) {
          fields += encode(read.name - written.name);
          written.name = read.name;
        }
      }
      out.push(fields);
      writtenColumn = column;
      last = target;
    }
    return out.join(',');
  });
  return { ...map, mappings: lines.join(';') };
}
