/**
 * The WebSocket to /api/v1/stream (docs/STREAM.md): authenticated by the
 * session cookie, snapshot then deltas. On a drop it reconnects with backoff
 * and `?streamId&lastEventId` — to whichever hub node answers, the leader
 * changed or not — so the hub sends the alert events missed, then `resumed`
 * with the devices' current state (or a fresh snapshot when it no longer has
 * them all). Only alert events are numbered. A silent socket is detected with the
 * hub's `ping` → `pong` and replaced: a console that looks live but is not is
 * the worst failure an operator can have.
 */
import { get, sawJournalLine } from '../api/http.js';
import { currentUser, refreshSession } from '../api/session.js';
import type { StreamMessage } from '../api/types.js';
import { createStore } from '../util/store.js';
import type { AlertBook } from './alert-book.js';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

const BACKOFF_MS = [500, 1_000, 2_000, 5_000, 10_000];
/** The hub closes a revoked session's sockets with this code (hub/realtime/stream-server.ts). */
const SESSION_ENDED = 4401;
const PING_EVERY_MS = 15_000;
const PONG_WITHIN_MS = 10_000;

export class LiveStream {
  readonly status = createStore<StreamStatus>('connecting');
  private socket: WebSocket | undefined;
  private streamId: string | undefined;
  private lastEventId = 0;
  private failures = 0;
  private stopped = true;
  private retryTimer: number | undefined;
  private pingTimer: number | undefined;
  private pongTimer: number | undefined;
  private readonly listeners = new Set<(message: StreamMessage) => void>();

  constructor(private readonly book: AlertBook) {}

  /** Every message once applied to the book (snapshot, fresh deltas, commissioning ticks), for pages that need more than the book keeps. */
  subscribe(listener: (message: StreamMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tell(message: StreamMessage): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(message);
      } catch {
        // One page's listener failing must not stop the stream.
      }
    }
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.clearHeartbeat();
    this.socket?.close(1000, 'logged out');
    this.socket = undefined;
    this.streamId = undefined;
    this.lastEventId = 0;
    this.status.set('connecting');
  }

  private connect(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const resume = this.streamId ? `?streamId=${encodeURIComponent(this.streamId)}&lastEventId=${this.lastEventId}` : '';
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/stream${resume}`);
    this.socket = socket;
    socket.onopen = () => {
      this.failures = 0;
      this.status.set('live');
      this.startHeartbeat(socket);
    };
    socket.onmessage = (event) => this.onMessage(String(event.data));
    socket.onclose = (event) => this.drop(socket, event.code === SESSION_ENDED);
  }

  /**
   * Forgets a socket that closed or went silent, then plans the next one.
   * `sessionEnded` (close code 4401: logged out elsewhere, disabled, password
   * or role changed, unlinked): ask the hub who we are now before anything
   * else — an ended session goes to the login page (the 401 handler stops this
   * stream), a changed role or set of homes is picked up and the stream comes
   * back with it — instead of retrying a socket that will be refused.
   */
  private drop(socket: WebSocket, sessionEnded = false): void {
    if (this.socket !== socket) return;
    this.clearHeartbeat();
    this.socket = undefined;
    // A silent socket may take a long time to report its close: do not wait for it.
    if (socket.readyState !== WebSocket.CLOSED) socket.close();
    if (this.stopped) return;
    if (!sessionEnded) return this.scheduleReconnect();
    this.status.set('reconnecting');
    void refreshSession().finally(() => {
      // No user any more: the shell stops this stream when it renders the login page.
      if (!this.stopped && !this.socket && currentUser.get()) this.connect();
    });
  }

  private onMessage(text: string): void {
    let message: StreamMessage;
    try {
      message = JSON.parse(text) as StreamMessage;
    } catch {
      return;
    }
    clearTimeout(this.pongTimer);
    switch (message.type) {
      case 'snapshot':
        // Another stream id: another journal, whose line numbers are not comparable with the last one's.
        sawJournalLine(message.eventId, this.streamId !== undefined && message.streamId !== this.streamId);
        this.streamId = message.streamId;
        this.lastEventId = message.eventId;
        this.book.applySnapshot(message.alerts, message.devices);
        this.tell(message);
        return;
      case 'resumed':
        // After the missed alert events: current to its id, under the same stream.
        this.streamId = message.streamId;
        this.lastEventId = Math.max(this.lastEventId, message.eventId);
        sawJournalLine(message.eventId);
        this.book.applyDevices(message.devices);
        this.tell(message);
        return;
      case 'alert.raised':
      case 'alert.updated':
        if (!this.fresh(message.eventId)) return;
        this.book.applyAlert(message.alert, message.type === 'alert.raised');
        this.tell(message);
        return;
      case 'device.status':
        this.book.applyDeviceStatus(message.deviceId, message.homeId, message.online, message.at);
        this.tell(message);
        return;
      case 'commissioning.tick':
      case 'presence':
        this.tell(message);
        return;
      default:
        return;
    }
  }

  /** An alert event at or below the last id seen was applied already (a replay overlapping a live delta). */
  private fresh(eventId: number): boolean {
    if (eventId <= this.lastEventId) return false;
    this.lastEventId = eventId;
    sawJournalLine(eventId);
    return true;
  }

  private scheduleReconnect(): void {
    this.status.set('reconnecting');
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)] ?? 10_000;
    this.failures++;
    this.retryTimer = window.setTimeout(() => {
      if (this.stopped) return;
      // A browser hides the upgrade's 401; ask the API so an expired session goes back to the login page.
      if (this.failures > 1) get('/alerts?limit=1').catch(() => undefined);
      this.connect();
    }, delay);
  }

  private startHeartbeat(socket: WebSocket): void {
    this.clearHeartbeat();
    this.pingTimer = window.setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send('{"type":"ping"}');
      clearTimeout(this.pongTimer);
      this.pongTimer = window.setTimeout(() => this.drop(socket), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  private clearHeartbeat(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
