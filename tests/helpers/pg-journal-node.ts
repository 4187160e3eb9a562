/**
 * A cluster node reduced to its journal, as a child process for the failover
 * tests (tests/pg-failover.test.ts): it opens the PostgreSQL journal waiting
 * for leadership, exactly as a standby hub does, and reports on stdout, one
 * line each:
 *   standby: leader is <node> epoch <e>     (while waiting; again at every new leader)
 *   leader epoch <e> lastN <n>              (it took the lock)
 *   durable n=<n> tag=<tag>  |  failed tag=<tag>: <why>
 *   leadership lost: <why>
 * It reads commands on stdin: `append <tag>` appends a line whose data names
 * this node and the tag. A real hub exits on "leadership lost"; this one stays
 * so the test can try one more append and see it refused.
 *
 * Env: HUB_TEST_PG_URL, HUB_TEST_NODE_ID, HUB_TEST_LEASE_MS, HUB_TEST_HTTP_URL.
 */
import { createInterface } from 'node:readline';
import { PgDatabase } from '../../hub/storage/postgres/database.js';
import { PgJournal } from '../../hub/storage/postgres/journal-pg.js';

const url = process.env.HUB_TEST_PG_URL!;
const nodeId = process.env.HUB_TEST_NODE_ID!;
const say = (line: string) => process.stdout.write(`${line}\n`);

const journal = new PgJournal({
  db: new PgDatabase({ url }),
  waitForLeadership: true,
  leaseMs: Number(process.env.HUB_TEST_LEASE_MS),
  identity: () => ({ nodeId, httpUrl: process.env.HUB_TEST_HTTP_URL }),
  onWaitingForLock: (_holder, leader) => say(`standby: leader is ${leader.nodeId} epoch ${leader.epoch}`),
  onError: (err) => say(`journal failed: ${err.message}`),
});
journal.onLeadershipLost((err) => say(`leadership lost: ${err.message}`));

await journal.open();
say(`leader epoch ${journal.leaderEpoch} lastN ${journal.lastN}`);

createInterface({ input: process.stdin }).on('line', (command) => {
  const [verb, tag = ''] = command.trim().split(/\s+/);
  if (verb !== 'append') return say(`unknown command: ${command}`);
  try {
    const { entry, durable } = journal.append('test.line', { node: nodeId, tag });
    // The line's n is known once committed (the database numbers it).
    durable.then(
      () => say(`durable n=${entry.n} tag=${tag}`),
      (err: Error) => say(`failed tag=${tag}: ${err.message}`),
    );
  } catch (err) {
    say(`failed tag=${tag}: ${(err as Error).message}`);
  }
});
