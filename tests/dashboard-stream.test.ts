/**
 * The console's stream client (dashboard/src/live/stream.ts) against the
 * protocol of docs/STREAM.md, without a browser: a fake WebSocket stands in
 * for the hub. It resumes with the last alert event id it applied, skips a
 * replayed event it already has, takes `resumed` as the devices' current
 * state, and starts over on a snapshot.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertSummary, LiveDevice, StreamMessage } from '../dashboard/src/api/types.js';
import { AlertBook } from '../dashboard/src/live/alert-book.js';
import { LiveStream } from '../dashboard/src/live/stream.js';

class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 3;
  static opened: FakeSocket[] = [];
  readyState = FakeSocket.OPEN;
  onopen: (() => void) | undefined;
  onmessage: ((event: { data: string }) => void) | undefined;
  onclose: ((event: { code: number }) => void) | undefined;
  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }
  receive(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  send(): void {}
  close(): void {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code: 1006 });
  }
}

const T0 = '2026-11-24T08:00:00.000Z';
const alert = (id: string, patch: Partial<AlertSummary> = {}): AlertSummary =>
  ({ id, homeId: 'home-1', residentId: 'res-1', kind: 'sos', severity: 'critical', status: 'open', title: 'SOS', details: {}, raisedAt: T0, updatedAt: T0, occurrences: 1, lastOccurrenceAt: T0, flags: { overdue: false, escalated: false }, trigger: { deviceId: 'dev-1', eventType: 'sos', at: T0 }, responders: [], ...patch }) as AlertSummary;
const device = (online: boolean): LiveDevice => ({ deviceId: 'dev-1', homeId: 'home-1', kind: 'bracelet', online, lastSeen: null, battery: null });

describe('the console stream client', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.opened = [];
    vi.stubGlobal('window', globalThis);
    vi.stubGlobal('location', { protocol: 'http:', host: 'hub.test' });
    vi.stubGlobal('WebSocket', FakeSocket);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  function connected(): FakeSocket {
    const socket = FakeSocket.opened.at(-1)!;
    socket.onopen?.();
    return socket;
  }

  function reconnect(socket: FakeSocket): FakeSocket {
    socket.close();
    vi.advanceTimersByTime(10_000);
    return connected();
  }

  it('resumes from the last alert event, skips one it has, takes `resumed` as current device state; a snapshot starts over', () => {
    const book = new AlertBook();
    const stream = new LiveStream(book);
    const heard: StreamMessage['type'][] = [];
    stream.subscribe((m) => heard.push(m.type));
    stream.start();
    const first = connected();
    expect(first.url).toBe('ws://hub.test/api/v1/stream');
    first.receive({ type: 'snapshot', streamId: 'chain-1', eventId: 5, alerts: [], devices: [device(true)] });
    first.receive({ type: 'alert.raised', eventId: 7, alert: alert('a1') });
    first.receive({ type: 'device.status', deviceId: 'dev-1', homeId: 'home-1', online: false, at: T0, reason: 'watchdog' }); // volatile: no id
    expect(book.device('dev-1')?.online).toBe(false);

    const second = reconnect(first);
    expect(second.url).toBe('ws://hub.test/api/v1/stream?streamId=chain-1&lastEventId=7');
    second.receive({ type: 'alert.raised', eventId: 7, alert: alert('a1') }); // already applied: not told twice
    second.receive({ type: 'alert.updated', eventId: 9, alert: alert('a1', { status: 'acknowledged', updatedAt: '2026-11-24T08:01:00.000Z' }) });
    second.receive({ type: 'resumed', streamId: 'chain-1', eventId: 12, missed: 2, devices: [device(true)] });
    expect(book.get('a1')?.status).toBe('acknowledged');
    expect(book.device('dev-1')?.online).toBe(true);
    expect(heard).toEqual(['snapshot', 'alert.raised', 'device.status', 'alert.updated', 'resumed']);

    // Current to the id `resumed` named, though its last replayed event was 9.
    const third = reconnect(second);
    expect(third.url).toBe('ws://hub.test/api/v1/stream?streamId=chain-1&lastEventId=12');
    third.receive({ type: 'snapshot', streamId: 'chain-2', eventId: 3, alerts: [alert('b1')], devices: [] });
    expect(book.sorted().map((a) => a.id)).toEqual(['b1']);
    third.receive({ type: 'alert.raised', eventId: 4, alert: alert('b2') }); // a lower id under the new stream still counts
    expect(book.get('b2')).toBeDefined();
    expect(reconnect(third).url).toBe('ws://hub.test/api/v1/stream?streamId=chain-2&lastEventId=4');
    stream.stop();
  });
});
