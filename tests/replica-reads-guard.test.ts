/**
 * What a standby's replica reads guard (hub/cluster/replica-reads.ts), with a
 * stand-in copy and stand-in sessions behind a real HTTP server on
 * 127.0.0.1:0 (the full path, with real nodes, is
 * tests/cluster-replica-reads.test.ts):
 * - a stranger's random bearer tokens cost at most the node's budget of
 *   database lookups; past it they go to the leader, which answers them from
 *   memory (the database also commits every alarm);
 * - a token the node holds is re-read every time (revocation at once), and
 *   spends no budget;
 * - a request without a valid session never waits for a journal line.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicaReads } from '../hub/cluster/replica-reads.js';
import { silentLogger } from '../hub/core/logger.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

interface Bench {
  url: string;
  lookups: string[];
  linesWaitedFor: number[];
  known: Set<string>;
  answeredBy(res: Response): Promise<'replica' | 'leader'>;
}

async function bench(valid: string[], burst: number): Promise<Bench> {
  const lookups: string[] = [];
  const linesWaitedFor: number[] = [];
  const known = new Set<string>();
  const reads = new ReplicaReads({
    nodeId: 'b',
    journal: {
      replicaCurrent: true,
      reachLine: async (n) => {
        linesWaitedFor.push(n);
        return false; // never there: a read that waits is passed to the leader
      },
    },
    sessions: {
      holds: (token) => known.has(token),
      refresh: async (token) => {
        lookups.push(token);
        if (valid.includes(token)) known.add(token);
        else known.delete(token);
        return true;
      },
    },
    prepare: async () => ({ listener: (_req, res) => res.end('replica'), answers: () => true }),
    log: silentLogger(),
    unknownTokenLookups: { perSec: 0.001, burst }, // no refill within a test, however slow the machine
  });
  server = createServer((req, res) => {
    if (reads.wants(req)) void reads.serve(req, res, () => res.end('leader'));
    else res.end('leader');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The first read builds the app; until it is ready the leader answers.
  await expect.poll(async () => (await fetch(`${url}/`)).text()).toBe('replica');
  return { url, lookups, linesWaitedFor, known, answeredBy: async (res) => (await res.text()) as 'replica' | 'leader' };
}

const read = (b: Bench, token: string, headers: Record<string, string> = {}) => fetch(`${b.url}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}`, ...headers } });

describe('replica reads: the database lookups a standby makes for sessions', () => {
  it('looks up at most its budget of unknown tokens; the rest go to the leader', async () => {
    const b = await bench([], 10);
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push(await b.answeredBy(await read(b, `random-${i}`)));
    expect(b.lookups).toHaveLength(10);
    expect(answers.filter((a) => a === 'leader')).toHaveLength(30);
    // Those it did look up, unknown, are answered here at once (the app's 401): no wait for a line.
    expect(b.linesWaitedFor).toEqual([]);
  });

  it('re-reads a token it holds every time, spending the budget only on its first read, and waits for the line only for it', async () => {
    const b = await bench(['valid-token'], 2);
    for (let i = 0; i < 5; i++) expect(await b.answeredBy(await read(b, 'valid-token'))).toBe('replica');
    expect(b.lookups).toEqual(Array(5).fill('valid-token'));
    // Only its first read spent one of the two: one stranger's lookup left, then the leader.
    const strangers = [];
    for (let i = 0; i < 4; i++) strangers.push(await b.answeredBy(await read(b, `random-${i}`)));
    expect(strangers).toEqual(['replica', 'leader', 'leader', 'leader']);
    // A signed-in read after a line this copy does not reach: waited for, then the leader.
    expect(await b.answeredBy(await read(b, 'valid-token', { 'x-hub-after': '99' }))).toBe('leader');
    expect(b.linesWaitedFor).toEqual([99]);
    // A stranger's read after a line: no wait at all.
    await read(b, 'random-x', { 'x-hub-after': '99' });
    expect(b.linesWaitedFor).toEqual([99]);
  });
});
