/** Collects a hub's JSON log lines in memory, for tests that assert what was logged. */
import { Writable } from 'node:stream';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export function logSink(): { lines: LogLine[]; stream: Writable } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}
