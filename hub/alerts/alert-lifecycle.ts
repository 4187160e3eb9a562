/**
 * What operators do with an alert: acknowledge (claim), dispatch responders,
 * move a responder forward, add a note, resolve with an outcome, silence a
 * siren. Transitions are checked (open → acknowledged → dispatched →
 * resolved); an invalid one is a conflict (409). Each action is one journal
 * line with its actor; it returns once that line is on disk.
 */
import { randomUUID } from 'node:crypto';
import { conflict, notFound } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { RESPONDER_STATES, type Alert, type IncidentReview, type Outcome, type Responder, type ResponderKind, type ResponderState } from './alert.js';
import { responseTimesOf } from './response-times.js';
import type { AlertStore } from './alert-store.js';

/** Alert kinds raised by the wearer's bracelet: acknowledging tells the wearer help is coming. */
const HELP_COMING_KINDS = new Set(['sos', 'fall']);
/** Only a local siren can be silenced, and only when an operator asks. */
const SILENCEABLE_KINDS = new Set(['smoke', 'gas']);

export interface NewResponder {
  kind: ResponderKind;
  name: string;
  phone?: string | undefined;
  /** Family "I'm on my way" comes in already accepted. */
  state?: ResponderState | undefined;
}

/** Where device commands for an alert go: the command outbox (hub/commands/alert-commands.ts). */
export interface AlertCommandSender {
  /** Queues the command durably; the outbox delivers it whenever the device is subscribed. */
  send(alert: Alert, actor: string, command: 'help_coming' | 'silence'): Promise<void>;
}

/** What a reviewer writes; the response times are taken from the alert itself. */
export type ReviewInput = Pick<IncidentReview, 'whatHappened' | 'whatWentWell' | 'toImprove' | 'targetsMet'>;

export interface AlertLifecycleDeps {
  store: AlertStore;
  /** Whether a user (by username) may hold alerts: exists, enabled, operator / supervisor / admin. */
  mayHold?: (username: string) => boolean;
  commands: AlertCommandSender;
  now: () => number;
  log: Logger;
}

export class AlertLifecycle {
  constructor(private readonly deps: AlertLifecycleDeps) {}

  async acknowledge(alertId: string, actor: string): Promise<Alert> {
    const alert = this.require(alertId);
    if (alert.status !== 'open') throw conflict(`alert ${alertId} is already ${alert.status}${alert.acknowledgedBy ? ` by ${alert.acknowledgedBy}` : ''}`);
    const updated = await this.deps.store.record('alert.acknowledged', { alertId, actor }).durable;
    if (HELP_COMING_KINDS.has(alert.kind) && alert.deviceId) await this.command(alert, actor, 'help_coming');
    return this.current(alertId, updated);
  }

  async dispatch(alertId: string, actor: string, responders: readonly NewResponder[]): Promise<Alert> {
    const alert = this.require(alertId);
    if (alert.status === 'open') throw conflict(`alert ${alertId} is not acknowledged yet: acknowledge it first`);
    if (alert.status === 'resolved') throw conflict(`alert ${alertId} is resolved`);
    const at = new Date(this.deps.now()).toISOString();
    const added: Responder[] = responders.map((r) => ({
      id: `rsp-${randomUUID().slice(0, 8)}`,
      kind: r.kind,
      name: r.name,
      phone: r.phone,
      state: r.state ?? 'notified',
      addedAt: at,
      addedBy: actor,
      updatedAt: at,
    }));
    return this.deps.store.record('alert.dispatched', { alertId, actor, responders: added }).durable;
  }

  /**
   * A family member's one-tap "I'm on my way": they join as an accepted family
   * responder. The alert's status does not change — an operator still claims
   * and handles it — but the operator sees it live.
   */
  async familyOnTheWay(alertId: string, actor: string, name: string): Promise<Alert> {
    const alert = this.require(alertId);
    if (alert.status === 'resolved') throw conflict(`alert ${alertId} is already resolved`);
    if (alert.responders.some((r) => r.addedBy === actor && r.state !== 'done')) throw conflict('you are already on your way to this alert');
    const at = new Date(this.deps.now()).toISOString();
    const responder: Responder = { id: `rsp-${randomUUID().slice(0, 8)}`, kind: 'family', name, state: 'accepted', addedAt: at, addedBy: actor, updatedAt: at };
    return this.deps.store.record('alert.responder_joined', { alertId, actor, responder }).durable;
  }

  async updateResponder(alertId: string, responderId: string, state: ResponderState, actor: string): Promise<Alert> {
    const alert = this.require(alertId);
    if (alert.status === 'resolved') throw conflict(`alert ${alertId} is resolved`);
    const responder = alert.responders.find((r) => r.id === responderId);
    if (!responder) throw notFound('responder', responderId);
    if (RESPONDER_STATES.indexOf(state) <= RESPONDER_STATES.indexOf(responder.state)) {
      throw conflict(`responder ${responderId} is already ${responder.state}; states only move forward (${RESPONDER_STATES.join(' → ')})`);
    }
    return this.deps.store.record('alert.responder_updated', { alertId, actor, responderId, state }).durable;
  }

  async addNote(alertId: string, actor: string, text: string): Promise<Alert> {
    this.require(alertId);
    return this.deps.store.record('alert.note_added', { alertId, actor, text }).durable;
  }

  async resolve(alertId: string, actor: string, outcome: Outcome, note?: string): Promise<Alert> {
    const alert = this.require(alertId);
    if (alert.status === 'open') throw conflict(`alert ${alertId} is not acknowledged yet: acknowledge it before resolving`);
    if (alert.status === 'resolved') throw conflict(`alert ${alertId} is already resolved (${alert.outcome})`);
    return this.deps.store.record('alert.resolved', { alertId, actor, outcome, note }).durable;
  }

  /**
   * Gives a claimed alert back to the queue (issue 13 item 7). Only the holder,
   * or a supervisor (`override`), may; a dispatched alert has responders on the
   * way and must be handed over to someone instead.
   */
  async release(alertId: string, actor: string, override: boolean, note?: string): Promise<Alert> {
    const alert = this.require(alertId);
    if (alert.status !== 'acknowledged') {
      throw conflict(alert.status === 'dispatched' ? `alert ${alertId} has responders on the way: hand it over instead of releasing it` : `alert ${alertId} is ${alert.status}, not claimed`);
    }
    this.assertMayPass(alert, actor, override);
    return this.deps.store.record('alert.released', { alertId, actor, note }).durable;
  }

  /** Passes a claimed alert to another operator with a note for them (shift change). */
  async handOver(alertId: string, actor: string, override: boolean, to: string, note: string): Promise<Alert> {
    const alert = this.require(alertId);
    if (alert.status !== 'acknowledged' && alert.status !== 'dispatched') throw conflict(`alert ${alertId} is ${alert.status}: only a claimed alert can be handed over`);
    this.assertMayPass(alert, actor, override);
    const target = `user:${to}`;
    if (target === alert.acknowledgedBy) throw conflict(`${to} already holds alert ${alertId}`);
    if (this.deps.mayHold && !this.deps.mayHold(to)) throw conflict(`${to} cannot take alerts: not an enabled operator, supervisor or admin`);
    return this.deps.store.record('alert.handed_over', { alertId, actor, from: alert.acknowledgedBy, to: target, note }).durable;
  }

  /** The incident review of a resolved critical alert (issue 13 item 9); a later review replaces it, the timeline keeps both. */
  async review(alertId: string, actor: string, input: ReviewInput): Promise<Alert> {
    const alert = this.require(alertId);
    if (alert.severity !== 'critical') throw conflict(`alert ${alertId} is ${alert.severity}: only critical alerts are reviewed`);
    if (alert.status !== 'resolved') throw conflict(`alert ${alertId} is not resolved yet: review it once it is`);
    const review: IncidentReview = { ...input, times: responseTimesOf(alert), reviewedAt: new Date(this.deps.now()).toISOString(), reviewedBy: actor };
    return this.deps.store.record('alert.reviewed', { alertId, actor, review }).durable;
  }

  async silence(alertId: string, actor: string): Promise<Alert> {
    const alert = this.require(alertId);
    if (!SILENCEABLE_KINDS.has(alert.kind)) throw conflict(`a ${alert.kind} alert has no siren to silence`);
    if (alert.status === 'resolved') throw conflict(`alert ${alertId} is resolved`);
    if (!alert.deviceId) throw conflict(`alert ${alertId} was not raised by a device`);
    await this.command(alert, actor, 'silence');
    return this.current(alertId, alert);
  }

  /**
   * Queues a command for the alert's device. Queuing can fail only with the
   * journal itself (already logged as fatal); the operator's action stands.
   */
  private async command(alert: Alert, actor: string, command: 'help_coming' | 'silence'): Promise<void> {
    try {
      await this.deps.commands.send(alert, actor, command);
    } catch (err) {
      this.deps.log.error({ err, alertId: alert.id, command }, 'device command not queued');
    }
  }

  private assertMayPass(alert: Alert, actor: string, override: boolean): void {
    if (!override && alert.acknowledgedBy !== actor) throw conflict(`alert ${alert.id} is held by ${alert.acknowledgedBy ?? 'nobody'}: only they or a supervisor can pass it on`);
  }

  private require(alertId: string): Alert {
    const alert = this.deps.store.get(alertId);
    if (!alert) throw notFound('alert', alertId);
    return alert;
  }

  private current(alertId: string, fallback: Alert): Alert {
    return structuredClone(this.deps.store.get(alertId) ?? fallback);
  }
}
