/**
 * `--store postgres`: the hub target on a fresh PostgreSQL database of this
 * machine's server (HUB_TEST_PG_ADMIN_URL, default postgres@127.0.0.1:5432),
 * created for the run and dropped when the target stops — so files and
 * PostgreSQL are measured by the same generator in the same run (issue 11 §5).
 */
import { createPgDatabase } from '../../tests/helpers/pg-server.js';
import { type HubTargetOptions, startHubTarget } from './hub-target.js';
import type { Target } from './target.js';

export async function startPgHubTarget(options: Omit<HubTargetOptions, 'databaseUrl'>): Promise<Target> {
  const database = await createPgDatabase('hub_bench').catch((err: Error) => {
    throw new Error(`--store postgres needs a PostgreSQL server that lets the bench create a database: ${err.message}`);
  });
  try {
    const target = await startHubTarget({ ...options, databaseUrl: database.url });
    return {
      ...target,
      async stop() {
        await target.stop();
        await database.drop();
      },
    };
  } catch (err) {
    await database.drop();
    throw err;
  }
}
