/**
 * Duplicate detection against the store's unique message keys (issue 11:
 * "dedupe no longer depends on a 64-event window in memory"). Where the
 * journal can answer "has this device message already been journaled?"
 * (PostgreSQL), an event with a seq is looked up there before ingest sees it.
 * Found → it is a retransmission of an alarm that is already durable: the
 * PUBACK is sent at once and nothing is processed again, so no second alert
 * or occurrence however long ago the original came, across restarts.
 * Not found → ingest as usual (its in-memory window still catches a
 * retransmission of a message being processed right now).
 *
 * The look-up is asynchronous, so a device's later messages wait behind it:
 * ingest sees each device's messages in the order they were sent. While the
 * database is unreachable the look-up waits for it (PgJournal.isJournaled):
 * no PUBACK meanwhile, so the device keeps its alarm; a look-up that fails
 * for good refuses the message (the device is disconnected and resends).
 */
import type { UplinkChannel } from '../../devices/topics.js';
import type { DeviceMessageKey } from '../storage/ports.js';

/**
 * The one entry for device messages. `admitted`: the broker's scheduler ran this telemetry
 * within its budgets (hub/broker/uplink-scheduler.ts), so ingest processes it in full instead of
 * shedding it under load; every wrapper passes it on.
 */
export type DeviceMessageHandler = (deviceId: string, channel: UplinkChannel, payload: Buffer, admitted?: boolean) => Promise<unknown> | undefined;

export interface JournalDedupe {
  isJournaled?: ((key: DeviceMessageKey) => Promise<boolean>) | undefined;
  /** True when the key surely is not journaled, so the look-up can be skipped. */
  isSurelyNew?: ((key: DeviceMessageKey) => boolean) | undefined;
  /** Counts a message recognised as a duplicate here. */
  onDuplicate(deviceId: string): void;
}

/**
 * seq and ts of an event payload, read as ingest's validation will (non-negative integers), else undefined.
 * Also the key of an alarm a follower forwards to the leader (hub/cluster/uplink-forwarder.ts).
 * This parses the payload a second time (ingest's decode step parses it again) on purpose: the
 * look-up must finish before ingest runs, and ingest's steps are synchronous, so the key cannot
 * come from ingest's parse without handing a parsed body through the scheduler, the ops tap and
 * ingest's entry for the PostgreSQL path alone. It is events only (telemetry never gets here),
 * one small JSON object each, rare next to telemetry.
 */
export function eventMessageKey(deviceId: string, payload: Buffer): DeviceMessageKey | undefined {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined; // ingest drops it and counts it
  }
  const { seq, ts } = (body ?? {}) as { seq?: unknown; ts?: unknown };
  const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!count(seq)) return undefined;
  return { deviceId, seq, ...(count(ts) ? { ts } : {}) };
}

/** Wraps the broker's message handler; returns it unchanged when the store has no message keys (files). */
export function dedupeAgainstJournal(dedupe: JournalDedupe, handle: DeviceMessageHandler): DeviceMessageHandler {
  const isJournaled = dedupe.isJournaled;
  if (!isJournaled) return handle;
  /** Per device, the tail of the messages still waiting for a look-up. */
  const pending = new Map<string, Promise<void>>();

  const lookUpThenHandle = async (key: DeviceMessageKey | undefined, deviceId: string, channel: UplinkChannel, payload: Buffer, admitted?: boolean): Promise<void> => {
    if (key && (await isJournaled(key))) {
      dedupe.onDuplicate(deviceId);
      return;
    }
    await handle(deviceId, channel, payload, admitted);
  };

  return (deviceId, channel, payload, admitted) => {
    const before = pending.get(deviceId);
    const key = channel === 'event' ? eventMessageKey(deviceId, payload) : undefined;
    // Nothing of this device's is waiting, and its key is newer than any journaled: the common
    // case of a fresh alarm goes straight to ingest without a database round trip.
    if (!before && (!key || dedupe.isSurelyNew?.(key))) return handle(deviceId, channel, payload, admitted);
    const run = () => lookUpThenHandle(key, deviceId, channel, payload, admitted);
    const mine = before ? before.then(run, run) : run();
    const tail = mine.catch(() => undefined);
    pending.set(deviceId, tail);
    void tail.then(() => {
      if (pending.get(deviceId) === tail) pending.delete(deviceId);
    });
    return mine;
  };
}
