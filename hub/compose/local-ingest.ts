/**
 * A node's own entry for device messages (the composition root's): ingest,
 * behind the journal's dedupe. With PostgreSQL, an event already journaled
 * (its unique message key) is acknowledged without a second run; the
 * broker, a cluster's forwarding drain and the spread routing all feed it.
 */
import type { Clock } from '../core/clock.js';
import { dedupeAgainstJournal, type DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import type { Ingest } from '../ingest/ingest.js';
import type { JournalStore } from '../storage/ports.js';

export function localIngestOf(journal: JournalStore, ingest: Ingest, clock: Clock): DeviceMessageHandler {
  return dedupeAgainstJournal(
    {
      isJournaled: journal.isJournaled?.bind(journal),
      isSurelyNew: journal.isSurelyNew?.bind(journal),
      onDuplicate: () => ingest.dropped.duplicate++,
    },
    (deviceId, channel, payload, admitted) => ingest.accept(deviceId, channel, payload, clock.now(), admitted),
  );
}
