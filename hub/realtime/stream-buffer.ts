/**
 * Numbered stream messages kept for a while, so a client that reconnects with
 * the last id it saw can be sent exactly what it missed.
 */
import { randomUUID } from 'node:crypto';

export interface StreamMessage {
  eventId: number;
  type: string;
  homeId: string;
  /** Serialized once, sent to every socket as is. */
  json: string;
}

export class StreamBuffer {
  /** Differs on every hub start: event ids of an earlier run mean nothing to this one. */
  readonly streamId = randomUUID().slice(0, 8);
  private readonly messages: StreamMessage[] = [];
  private nextId = 1;

  constructor(private readonly capacity: number) {}

  get lastId(): number {
    return this.nextId - 1;
  }

  add(type: string, homeId: string, body: Record<string, unknown>): StreamMessage {
    const eventId = this.nextId++;
    const message = { eventId, type, homeId, json: JSON.stringify({ type, eventId, ...body }) };
    this.messages.push(message);
    if (this.messages.length > this.capacity) this.messages.shift();
    return message;
  }

  /** Messages after `eventId`, or undefined when some of them are no longer kept (send a snapshot then). */
  since(eventId: number): StreamMessage[] | undefined {
    if (eventId > this.lastId || eventId < 0) return undefined;
    const oldest = this.messages[0]?.eventId ?? this.nextId;
    if (eventId < oldest - 1) return undefined;
    return this.messages.filter((m) => m.eventId > eventId);
  }
}
