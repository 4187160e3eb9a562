/**
 * The alert events a console may have missed, numbered by their journal line
 * (issue 12 item 4: the stream resumes from `lastEventId` after reconnecting
 * to another node, the leader changed or not).
 *
 * An event id is the `n` of the journal line that made the change, and the
 * stream id is the journal's identity (its line 1's hash, JournalStore.chainId).
 * Both are the same on every leader of a cluster and after a restart on the
 * same data dir, so "everything after n" means one thing wherever the
 * console lands. The events are kept in memory, never read back on demand:
 * every process that serves the stream has replayed the journal at start
 * (a new leader before it leads), and this feed keeps what that replay and
 * the later appends produced, within two bounds — a console further behind
 * gets a snapshot, as it would have from a fresh hub:
 * - at most FEED_LIMITS.maxEvents events (memory, and the size of a replay);
 * - none older than FEED_LIMITS.maxAgeMs: a console away longer than that,
 *   while alerts moved, is better served by the current state than by the
 *   history; lines that old are not even serialized at replay, so a long
 *   journal replays as fast as before.
 * Volatile messages (device status, presence, commissioning ticks) are not
 * kept here: a resuming console gets their current state instead
 * (stream-server.ts, `resumed`).
 */
import { randomUUID } from 'node:crypto';
import { summarize, summarySnapshot, type Alert, type AlertSummary } from '../alerts/alert.js';
import type { AlertRecordType } from '../alerts/alert-reducer.js';
import type { AlertChangeLog } from '../alerts/alert-store.js';
import type { LineOrder } from '../storage/ports.js';

export interface AlertEvent {
  /** The journal line's n. */
  eventId: number;
  type: 'alert.raised' | 'alert.updated';
  homeId: string;
  /** Epoch ms of the line: the age bound. */
  at: number;
  /** `{"type","eventId","alert"}`, serialized once for every socket and every replay. */
  json: string;
}

/** A replayed event not serialized yet: its alert as a copy (summarySnapshot), until it is read or dropped. */
interface PendingEvent extends Omit<AlertEvent, 'json'> {
  json: undefined;
  alert: AlertSummary;
}

type KeptEvent = AlertEvent | PendingEvent;

export interface FeedLimits {
  maxEvents: number;
  maxAgeMs: number;
}

/** 1,000 events is more than a busy site's alert changes in ten minutes; a failover takes seconds. */
export const FEED_LIMITS: FeedLimits = { maxEvents: 1_000, maxAgeMs: 10 * 60_000 };

export interface AlertFeedOptions {
  now: () => number;
  /** The journal's identity (JournalStore.chainId); undefined while it has no line. */
  chainId: () => string | undefined;
  limits?: FeedLimits | undefined;
  /**
   * The journal's order (JournalStore.order), present when this node learns of
   * lines out of n order (several writers): an event of its own is shown only
   * once the journal's tail has passed its line, so every console sees the
   * events in n order and a resume from event n has every event below n.
   */
  order?: LineOrder | undefined;
}

/** Compact the kept array once this many dropped slots lead it (dropping is otherwise O(1)). */
const COMPACT_AFTER = 256;

export class AlertFeed implements AlertChangeLog {
  private events: KeptEvent[] = [];
  /** Index of the oldest event still kept. */
  private head = 0;
  /** Every alert event with a greater id is kept: a resume from below this would have a gap. */
  private keptAfter = 0;
  private newest = 0;
  private readonly listeners = new Set<(event: AlertEvent) => void>();
  private readonly limits: FeedLimits;
  /** Stands in while the journal is empty: it matches no console's id, so they get a snapshot. */
  private readonly provisional = `local-${randomUUID().slice(0, 8)}`;
  private lastReplayedAt: string | undefined;
  private lastReplayedAtMs = 0;
  /** This node's own events, durable, waiting for the journal's tail to pass their lines (ascending: batches commit in order). */
  private held: AlertEvent[] = [];

  constructor(private readonly options: AlertFeedOptions) {
    this.limits = options.limits ?? FEED_LIMITS;
    options.order?.onProgress((n) => this.release(n));
  }

  /** Sent in snapshots; a console resumes only if it presents the same one. */
  get streamId(): string {
    return this.options.chainId()?.slice(0, 16) ?? this.provisional;
  }

  /** The id of the newest alert event shown (durable): what a snapshot is current to. */
  get lastId(): number {
    return this.newest;
  }

  /** Kept events (tests and diagnostics). */
  get size(): number {
    return this.events.length - this.head;
  }

  /**
   * A replayed line: its alert copied as it is now (summarySnapshot) and serialized only when
   * the event is sent. A replay makes an event for nearly every line, and all but the newest
   * maxEvents are dropped before anyone reads them: serializing each one cost ~4 µs a line.
   */
  replayed(n: number, at: string, type: AlertRecordType, alert: Alert): void {
    if (at !== this.lastReplayedAt) {
      // Lines written together share their `at`: parsed once.
      this.lastReplayedAt = at;
      this.lastReplayedAtMs = Date.parse(at);
    }
    const atMs = this.lastReplayedAtMs;
    if (atMs < this.options.now() - this.limits.maxAgeMs) {
      // Too old to be replayed to anyone: not copied, and no console can resume from before it.
      this.keptAfter = n;
      this.newest = n;
      return;
    }
    const pending: PendingEvent = { eventId: n, type: eventTypeOf(type), homeId: alert.homeId, at: atMs, json: undefined, alert: summarySnapshot(alert) };
    // Nobody listens during the start's replay; a writer following the others hears their lines live.
    if (this.listeners.size === 0) this.keep(pending);
    else this.show(serialized(pending));
  }

  /**
   * Serialized now, as this line left the alert (a later line may change it
   * before this one is durable); numbered when it is shown, since a journal
   * numbered at commit knows the line's n only then.
   */
  appended(at: string, type: AlertRecordType, alert: Alert): (n: number) => void {
    const eventType = eventTypeOf(type);
    const alertJson = JSON.stringify(summarize(alert));
    const atMs = Date.parse(at);
    const { homeId } = alert;
    return (n) => {
      // The text JSON.stringify({ type, eventId, alert }) gives, without serializing the alert again.
      const event: AlertEvent = { eventId: n, type: eventType, homeId, at: atMs, json: `{"type":${JSON.stringify(eventType)},"eventId":${n},"alert":${alertJson}}` };
      const order = this.options.order;
      if (order && n > order.position()) this.held.push(event);
      else this.show(event);
    };
  }

  /** The journal's tail has passed line n: this node's own events up to it are shown, in order. */
  private release(n: number): void {
    if (this.held.length === 0 || this.held[0]!.eventId > n) return;
    let count = 0;
    while (count < this.held.length && this.held[count]!.eventId <= n) count++;
    for (const event of this.held.splice(0, count)) this.show(event);
  }

  private show(event: AlertEvent): void {
    this.keep(event);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One socket's failure must not keep the others (or the bus after this) from the event.
      }
    }
  }

  /** Told of every event once it is durable, in journal order. */
  onEvent(listener: (event: AlertEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The events after `lastEventId`, oldest first; undefined when this feed
   * cannot prove it has every one of them (dropped by a bound, or an id this
   * journal never showed): send a snapshot then.
   */
  since(lastEventId: number): AlertEvent[] | undefined {
    this.dropOld();
    if (!Number.isSafeInteger(lastEventId) || lastEventId < this.keptAfter || lastEventId > this.newest) return undefined;
    let low = this.head;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.events[mid]!.eventId <= lastEventId) low = mid + 1;
      else high = mid;
    }
    const out: AlertEvent[] = [];
    for (let i = low; i < this.events.length; i++) {
      const event = this.events[i]!;
      out.push(event.json === undefined ? (this.events[i] = serialized(event)) : event);
    }
    return out;
  }

  private keep(event: KeptEvent): void {
    this.events.push(event);
    this.newest = event.eventId;
    this.dropOld();
  }

  private dropOld(): void {
    const oldestAllowed = this.options.now() - this.limits.maxAgeMs;
    while (this.head < this.events.length) {
      const oldest = this.events[this.head]!;
      if (this.size <= this.limits.maxEvents && oldest.at >= oldestAllowed) break;
      this.keptAfter = oldest.eventId;
      this.head++;
    }
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }
}

const eventTypeOf = (type: AlertRecordType): AlertEvent['type'] => (type === 'alert.raised' ? 'alert.raised' : 'alert.updated');

function eventJson(type: AlertEvent['type'], eventId: number, alert: AlertSummary): string {
  return JSON.stringify({ type, eventId, alert });
}

/** A pending event as every other event is kept: its JSON instead of its alert's copy. */
function serialized({ eventId, type, homeId, at, alert }: PendingEvent): AlertEvent {
  return { eventId, type, homeId, at, json: eventJson(type, eventId, alert) };
}
