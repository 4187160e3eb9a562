/**
 * The part of `npm run migrate:to-postgres` beyond the registry and the
 * journal: visits and the flag history, webhooks (secrets included), every
 * line of the delivery log, and a rules snapshot a planned stop left behind
 * (so a hub started on the database within 15 minutes keeps timing an open
 * door). Read through the files adapters, written inside the caller's
 * transaction, then counted back.
 *
 * Sessions are not copied: on files they live in memory only, so a data dir
 * holds none (and stopping the file hub for the move has ended them anyway).
 */
import { join } from 'node:path';
import { silentLogger } from '../../core/logger.js';
import { DeliveryFiles } from '../files/delivery-files.js';
import { RulesSnapshotFile } from '../files/rules-snapshot-file.js';
import { VisitsFile } from '../files/visits-file.js';
import { WebhooksFile } from '../files/webhooks-file.js';
import { insertDeliveryLines } from './delivery-log-pg.js';
import type { Queryable } from './journal-sql.js';
import { saveSnapshotText } from './rules-snapshot-pg.js';
import { insertHardship, insertVisits } from './visits-pg.js';
import { insertWebhooks } from './webhooks-pg.js';

/** Rows per table, as counted in the files (and then in the database). */
export interface ServiceCounts {
  visits: number;
  hardship_periods: number;
  webhooks: number;
  delivery_log: number;
  rules_snapshot: number;
}

export const SERVICE_TABLES = ['visits', 'hardship_periods', 'webhooks', 'delivery_log', 'rules_snapshot'] as const;
const BATCH = 2_000;

export async function copyServiceStores(dataDir: string, db: Queryable): Promise<ServiceCounts> {
  const { visits, hardship } = await new VisitsFile(join(dataDir, 'registry', 'visits.json')).load();
  const webhooks = await new WebhooksFile(join(dataDir, 'notifications', 'webhooks.json')).load();
  const deliveries = await new DeliveryFiles(join(dataDir, 'notifications'), Date.now, silentLogger()).loadAll();
  const snapshot = await new RulesSnapshotFile(join(dataDir, 'rules-state.json')).read();

  for (let i = 0; i < visits.length; i += BATCH) await insertVisits(db, visits.slice(i, i + BATCH));
  for (const [residentId, periods] of Object.entries(hardship)) await insertHardship(db, residentId, periods);
  await insertWebhooks(db, webhooks);
  for (let i = 0; i < deliveries.length; i += BATCH) await insertDeliveryLines(db, deliveries.slice(i, i + BATCH));
  if (snapshot) await saveSnapshotText(db, snapshot.savedAt, JSON.stringify(snapshot));
  return { visits: visits.length, hardship_periods: Object.keys(hardship).length, webhooks: webhooks.length, delivery_log: deliveries.length, rules_snapshot: snapshot ? 1 : 0 };
}
