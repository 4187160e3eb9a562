/**
 * WebSocket push at /api/v1/stream (DESIGN.md §5): authenticated at the
 * upgrade (token in the query, bearer header or session cookie), Origin
 * checked, small maxPayload. It sends a snapshot, then numbered deltas; a
 * client that reconnects with `?streamId=S&lastEventId=N` (both from what it
 * received) gets what it missed instead of a
 * new snapshot while the missed events are still in the replay buffer. A
 * family user's socket carries only their own homes, as the registry has them
 * now (not as they were at login). A revoked or expired session's sockets are
 * closed with code 4401 and the reason (DESIGN.md §11, issue 10 item 4).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { summarize } from '../alerts/alert.js';
import type { AlertStore } from '../alerts/alert-store.js';
import type { RevokeReason, Session, SessionStore } from '../auth/sessions.js';
import type { EventBus } from '../core/event-bus.js';
import type { DeviceStatusChange, HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { DeviceStateStore } from '../ingest/device-state.js';
import { sessionCookieFrom, tokenFrom } from '../auth/session-token.js';
import { sameOrigin } from '../auth/same-origin.js';
import { StreamBuffer, type StreamMessage } from './stream-buffer.js';
import { refuseUpgrade as refuse, requestTarget } from './upgrade-request.js';

export const STREAM_PATH = '/api/v1/stream';
const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024;
const PING_INTERVAL_MS = 30_000;
/** Who may open the stream at all; visitors have no live data to see. */
const STREAM_ROLES = new Set(['admin', 'supervisor', 'operator', 'family', 'installer']);
/** Installers watch commissioning and device health, never alerts (issue 5). */
const INSTALLER_TYPES = new Set(['commissioning.tick', 'device.status']);
/** Close code for "your session ended" (4000–4999: application codes, RFC 6455 §7.4.2); mirrors HTTP 401. */
export const SESSION_ENDED_CLOSE_CODE = 4401;

export interface StreamServerDeps {
  sessions: SessionStore;
  alerts: AlertStore;
  states: DeviceStateStore;
  bus: EventBus<HubEvents>;
  log: Logger;
  /** A user's homes as the registry has them now (undefined: no such user). */
  userHomes?: (userId: string) => readonly string[] | undefined;
  now?: () => number;
  /** Operator presence (issue 13 item 7): told of every console that connects or goes, asked for the list in snapshots. */
  presence?: { connection(username: string, role: string, delta: 1 | -1): void; list(): unknown[] };
}

/** Presence goes to the people who take alerts, never to families or installers. */
const PRESENCE_ROLES = new Set(['admin', 'supervisor', 'operator']);
/** Messages not about one home (presence): sent by role, never to a family. */
const NO_HOME = '';

interface StreamClient {
  socket: WebSocket;
  session: Session;
  alive: boolean;
  /** Counted in presence; counted off, once, when it goes. */
  present?: boolean;
  /** Its snapshot (or what it missed) went out: broadcasts reach it from then on. */
  ready?: boolean;
}

export class StreamServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  private readonly clients = new Set<StreamClient>();
  /** Sessions revoked while open here: a socket still completing its upgrade for one is closed at once. */
  private readonly ended = new WeakMap<Session, RevokeReason>();
  private readonly buffer = new StreamBuffer(1_000);
  private readonly unsubscribe: (() => void)[] = [];
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: StreamServerDeps) {}

  /** Serves the stream on this server's upgrades and starts broadcasting. */
  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.listen();
  }

  /**
   * Starts broadcasting the hub's events to the sockets it serves. Separate
   * from attach for a cluster node that serves the stream only once it leads
   * (until then its upgrades go to the leader: hub/compose/http-listener.ts).
   */
  listen(): void {
    const { bus } = this.deps;
    this.unsubscribe.push(
      bus.on('alert.raised', (alert) => this.publish('alert.raised', alert.homeId, { alert: summarize(alert) })),
      bus.on('alert.updated', (alert) => this.publish('alert.updated', alert.homeId, { alert: summarize(alert) })),
      bus.on('device.status', (change) => this.publish('device.status', change.homeId, deviceStatus(change))),
      // Installers watch their checklist tick live while they press each test button.
      bus.on('commissioning.tick', (tick) => this.publish('commissioning.tick', tick.homeId, { ...tick })),
      bus.on('presence.changed', (presence) => this.publish('presence', NO_HOME, { presence })),
      // Logout, a disabled user, a changed role or homes: that session's sockets end now, not at the next ping.
      this.deps.sessions.onRevoked((session, reason) => this.endSession(session, reason)),
    );
    this.pingTimer = setInterval(() => this.pingAll(), PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  get connections(): number {
    return this.clients.size;
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    clearInterval(this.pingTimer);
    for (const client of this.clients) client.socket.terminate();
    this.clients.clear();
    this.wss.close();
  }

  /**
   * Fails closed per request (issue 10 item 1): whatever the request holds, this
   * socket gets an HTTP refusal or the WebSocket, and nothing throws out of the
   * 'upgrade' event, where an exception would stop the whole process.
   */
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node's HTTP server stops listening for errors on a socket it hands to 'upgrade':
    // a client resetting it mid-handshake would otherwise be an uncaught 'error' event.
    socket.on('error', () => socket.destroy());
    try {
      this.upgrade(req, socket, head);
    } catch (err) {
      this.deps.log.error({ err, url: req.url?.slice(0, 200) }, 'stream upgrade failed');
      refuse(socket, 500, 'Internal Server Error');
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = requestTarget(req.url);
    if (!url) return refuse(socket, 400, 'Bad Request');
    if (url.pathname !== STREAM_PATH) return refuse(socket, 404, 'Not Found');
    // Browsers always send Origin; a page from another site must not ride the user's cookie.
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host)) return refuse(socket, 403, 'Forbidden');
    const token = url.searchParams.get('token') ?? tokenFrom(req.headers.authorization, sessionCookieFrom(req.headers.cookie));
    const session = token ? this.deps.sessions.resolve(token) : undefined;
    if (!session) return refuse(socket, 401, 'Unauthorized');
    if (!STREAM_ROLES.has(session.role)) return refuse(socket, 403, 'Forbidden');
    const sameStream = url.searchParams.get('streamId') === this.buffer.streamId;
    const lastEventId = sameStream ? Number(url.searchParams.get('lastEventId') ?? NaN) : NaN;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, session, lastEventId));
  }

  private onConnection(socket: WebSocket, session: Session, lastEventId: number): void {
    const client: StreamClient = { socket, session, alive: true };
    this.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => this.remove(client));
    socket.on('error', () => this.remove(client));
    socket.on('message', (data) => this.onClientMessage(client, data.toString()));
    // Revoked or expired between the upgrade's check and here.
    const ended = this.ended.get(session);
    if (ended) return this.close(client, ended);
    if (this.expired(client)) return;

    // Counted before the snapshot, so the snapshot's presence list has this console; the broadcast
    // of that change skips it (not ready): a console's first message is its snapshot, which already
    // holds the change, or — resuming — what it missed, which includes the change.
    client.present = true;
    this.deps.presence?.connection(session.username, session.role, 1);
    const missed = Number.isInteger(lastEventId) ? this.buffer.since(lastEventId) : undefined;
    if (missed) {
      for (const message of missed) if (this.mayReceive(session, message)) this.send(client, message);
    } else {
      this.sendSnapshot(client);
    }
    client.ready = true;
  }

  private sendSnapshot(client: StreamClient): void {
    const homeIds = client.session.role === 'family' ? new Set(this.familyHomes(client.session)) : undefined;
    const alerts = client.session.role === 'installer' ? [] : this.deps.alerts.list({ homeIds, unresolved: true });
    const devices = this.deps.states
      .all()
      .filter((s) => !homeIds || homeIds.has(s.homeId))
      .map((s) => ({ deviceId: s.deviceId, homeId: s.homeId, kind: s.kind, online: s.online, lastSeen: s.lastSeen ?? null, battery: s.battery ?? null }));
    const presence = PRESENCE_ROLES.has(client.session.role) ? this.deps.presence?.list() : undefined;
    client.socket.send(JSON.stringify({ type: 'snapshot', streamId: this.buffer.streamId, eventId: this.buffer.lastId, alerts: alerts.map(summarize), devices, presence }));
  }

  /** Client → hub messages are validated: only `{"type":"ping"}` is understood today. */
  private onClientMessage(client: StreamClient, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      message = undefined;
    }
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ping') {
      client.socket.send(JSON.stringify({ type: 'pong', eventId: this.buffer.lastId }));
      return;
    }
    client.socket.send(JSON.stringify({ type: 'error', error: { code: 'bad_message', message: 'send {"type":"ping"}; nothing else is understood' } }));
  }

  private publish(type: string, homeId: string, body: Record<string, unknown>): void {
    const message = this.buffer.add(type, homeId, body);
    for (const client of this.clients) {
      if (!client.ready || this.expired(client)) continue;
      if (this.mayReceive(client.session, message)) this.send(client, message);
    }
  }

  private mayReceive(session: Session, message: StreamMessage): boolean {
    if (message.homeId === NO_HOME) return PRESENCE_ROLES.has(session.role);
    if (session.role === 'installer') return INSTALLER_TYPES.has(message.type);
    return session.role !== 'family' || this.familyHomes(session).includes(message.homeId);
  }

  /**
   * A family session's homes: those it was given at login that the user still
   * has now. Unlinking ends the user's sessions too; this keeps a home off the
   * socket even if some path changes the registry without ending them.
   */
  private familyHomes(session: Session): readonly string[] {
    const now = this.deps.userHomes ? this.deps.userHomes(session.userId) ?? [] : session.homeIds;
    return session.homeIds.filter((id) => now.includes(id));
  }

  /** Closes every socket of a session that was revoked; other sessions of the same user are told separately. */
  private endSession(session: Session, reason: RevokeReason): void {
    this.ended.set(session, reason);
    for (const client of this.clients) if (client.session === session) this.close(client, reason);
  }

  /** Sessions expire silently (no request revokes them): checked before each send and at each ping. */
  private expired(client: StreamClient): boolean {
    if (client.session.expiresAt > (this.deps.now ?? Date.now)()) return false;
    this.close(client, 'expired');
    return true;
  }

  /** Forgotten at once, so nothing more is sent while the close handshake runs. */
  private close(client: StreamClient, reason: RevokeReason): void {
    this.remove(client);
    client.socket.close(SESSION_ENDED_CLOSE_CODE, `session ended: ${reason}`);
    this.deps.log.debug({ user: client.session.username, reason }, 'stream closed: session ended');
  }

  private add(client: StreamClient): void {
    this.clients.add(client);
  }

  /** Idempotent: a socket can be closed, error and time out, and is counted off once. */
  private remove(client: StreamClient): void {
    if (this.clients.delete(client) && client.present) this.deps.presence?.connection(client.session.username, client.session.role, -1);
  }

  private send(client: StreamClient, message: StreamMessage): void {
    client.socket.send(message.json);
  }

  private pingAll(): void {
    for (const client of this.clients) {
      if (this.expired(client)) continue;
      if (!client.alive) {
        client.socket.terminate();
        this.remove(client);
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }
}

function deviceStatus(change: DeviceStatusChange): Record<string, unknown> {
  return { deviceId: change.deviceId, homeId: change.homeId, online: change.online, at: new Date(change.at).toISOString(), reason: change.reason };
}
