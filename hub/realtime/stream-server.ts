/**
 * WebSocket push at /api/v1/stream (DESIGN.md §5, docs/STREAM.md):
 * authenticated at the upgrade (token in the query, bearer header or session
 * cookie), Origin checked, small maxPayload. It sends a snapshot, then
 * deltas. Alert events carry their journal line as `eventId`, the same on
 * every leader and after a restart (alert-feed.ts); a client that reconnects
 * with `?streamId=S&lastEventId=N` (both from what it received), to this
 * node or any other, gets the alert events it missed, then `resumed` with
 * the current devices and presence — or a new snapshot when the feed no
 * longer holds everything after N. A family user's socket carries only
 * their own homes, as the registry has them now (not as they were at login).
 * A revoked or expired session's sockets are closed with code 4401 and the
 * reason (DESIGN.md §11, issue 10 item 4).
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
import type { AlertEvent, AlertFeed } from './alert-feed.js';
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
  /** Alert events by journal line, for the live fan-out and for resuming consoles. */
  feed: Pick<AlertFeed, 'streamId' | 'lastId' | 'since' | 'onEvent'>;
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

/** One message for many sockets, serialized once: an AlertEvent, or a volatile message (no event id, never replayed). */
interface OutgoingMessage {
  type: string;
  homeId: string;
  json: string;
}

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
    const { bus, feed } = this.deps;
    this.unsubscribe.push(
      feed.onEvent((event) => this.broadcast(event)),
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
    this.upgrade(req, socket, head).catch((err: unknown) => {
      this.deps.log.error({ err, url: req.url?.slice(0, 200) }, 'stream upgrade failed');
      refuse(socket, 500, 'Internal Server Error');
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = requestTarget(req.url);
    if (!url) return refuse(socket, 400, 'Bad Request');
    if (url.pathname !== STREAM_PATH) return refuse(socket, 404, 'Not Found');
    // Browsers always send Origin; a page from another site must not ride the user's cookie.
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host)) return refuse(socket, 403, 'Forbidden');
    const token = url.searchParams.get('token') ?? tokenFrom(req.headers.authorization, sessionCookieFrom(req.headers.cookie));
    // A login made on another node of a cluster is asked of the store once (rate-limited), as the API does.
    const session = token ? (this.deps.sessions.resolve(token) ?? (await this.deps.sessions.lookup(token))) : undefined;
    if (socket.destroyed) return;
    if (!session) return refuse(socket, 401, 'Unauthorized');
    if (!STREAM_ROLES.has(session.role)) return refuse(socket, 403, 'Forbidden');
    // Event ids mean something only under the journal they came from (another database, a new data dir: a snapshot).
    const sameStream = url.searchParams.get('streamId') === this.deps.feed.streamId;
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
    // of that change skips it (not ready): its snapshot, or — resuming — its `resumed`, already holds it.
    client.present = true;
    this.deps.presence?.connection(session.username, session.role, 1);
    // All in this tick: no live event can fall between the replay (or snapshot) and `ready`.
    const missed = Number.isInteger(lastEventId) ? this.deps.feed.since(lastEventId) : undefined;
    if (missed) this.sendMissed(client, missed);
    else this.sendSnapshot(client);
    client.ready = true;
  }

  private sendSnapshot(client: StreamClient): void {
    const { session } = client;
    const homeIds = this.visibleHomes(session);
    const alerts = session.role === 'installer' ? [] : this.deps.alerts.list({ homeIds, unresolved: true });
    const { streamId, lastId } = this.deps.feed;
    client.socket.send(JSON.stringify({ type: 'snapshot', streamId, eventId: lastId, alerts: alerts.map(summarize), devices: this.devices(homeIds), presence: this.presence(session) }));
  }

  /**
   * The alert events this user may see, in journal order, then `resumed`:
   * the ids it is now current to, and the current state of what is not
   * replayed (devices, presence; an installer's page re-reads its checklist).
   */
  private sendMissed(client: StreamClient, missed: readonly AlertEvent[]): void {
    let sent = 0;
    for (const event of missed) {
      if (!this.mayReceive(client.session, event)) continue;
      this.send(client, event);
      sent++;
    }
    const { streamId, lastId } = this.deps.feed;
    const homeIds = this.visibleHomes(client.session);
    client.socket.send(JSON.stringify({ type: 'resumed', streamId, eventId: lastId, missed: sent, devices: this.devices(homeIds), presence: this.presence(client.session) }));
    this.deps.log.debug({ user: client.session.username, missed: sent }, 'stream resumed');
  }

  /** Undefined: every home (staff); a family's own homes otherwise. */
  private visibleHomes(session: Session): ReadonlySet<string> | undefined {
    return session.role === 'family' ? new Set(this.familyHomes(session)) : undefined;
  }

  private devices(homeIds: ReadonlySet<string> | undefined): unknown[] {
    return this.deps.states
      .all()
      .filter((s) => !homeIds || homeIds.has(s.homeId))
      .map((s) => ({ deviceId: s.deviceId, homeId: s.homeId, kind: s.kind, online: s.online, lastSeen: s.lastSeen ?? null, battery: s.battery ?? null }));
  }

  private presence(session: Session): unknown[] | undefined {
    return PRESENCE_ROLES.has(session.role) ? this.deps.presence?.list() : undefined;
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
      client.socket.send(JSON.stringify({ type: 'pong', eventId: this.deps.feed.lastId }));
      return;
    }
    client.socket.send(JSON.stringify({ type: 'error', error: { code: 'bad_message', message: 'send {"type":"ping"}; nothing else is understood' } }));
  }

  /** A volatile message: sent to the sockets open now, never kept or replayed. */
  private publish(type: string, homeId: string, body: Record<string, unknown>): void {
    this.broadcast({ type, homeId, json: JSON.stringify({ type, ...body }) });
  }

  private broadcast(message: OutgoingMessage): void {
    for (const client of this.clients) {
      if (!client.ready || this.expired(client)) continue;
      if (this.mayReceive(client.session, message)) this.send(client, message);
    }
  }

  private mayReceive(session: Session, message: OutgoingMessage): boolean {
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

  private send(client: StreamClient, message: OutgoingMessage): void {
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
