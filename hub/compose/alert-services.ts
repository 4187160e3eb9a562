/**
 * The alert side of the composition root (hub/hub.ts): the store the journal
 * replays into, the intake the rules submit drafts to, and the services that
 * keep time on alerts (escalation, follow-up, call-backs). Built together
 * because each takes the ones before it; nothing here starts anything (the
 * pipeline list does, hub/compose/pipeline-services.ts).
 */
import { AlertIntake } from '../alerts/alert-intake.js';
import { AlertLocations } from '../alerts/alert-location.js';
import { AlertStore } from '../alerts/alert-store.js';
import { EmergencyHomes } from '../alerts/emergency-homes.js';
import { Escalation } from '../alerts/escalation.js';
import { FollowUp } from '../alerts/follow-up.js';
import type { AuditLog } from '../audit/audit-log.js';
import { CallbackService } from '../callbacks/callback-service.js';
import { CallbackStore } from '../callbacks/callback-store.js';
import type { HubConfig } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import { OWNS_EVERYTHING, type PartitionOwnership } from '../core/partition-ownership.js';
import { AlertFeed } from '../realtime/alert-feed.js';
import type { Registry } from '../registry/registry.js';
import type { JournalStore } from '../storage/ports.js';

export interface AlertServiceDeps {
  config: Pick<HubConfig, 'followUpMinutes' | 'onSceneMinutes' | 'timezone'>;
  journal: JournalStore;
  bus: EventBus<HubEvents>;
  audit: AuditLog;
  registry: Registry;
  clock: Clock;
  log: Logger;
  /** The homes whose alerts this node keeps time on (issue 12 step 3); a hub alone owns them all. */
  ownership?: PartitionOwnership | undefined;
}

export interface AlertServices {
  /** Alert events by journal line: what a reconnecting console missed, on any node (issue 12 item 4). */
  alertFeed: AlertFeed;
  alerts: AlertStore;
  locations: AlertLocations;
  /** Homes with an unresolved high or critical alert: their telemetry is never shed. */
  emergencyHomes: EmergencyHomes;
  intake: AlertIntake;
  escalation: Escalation;
  followUp: FollowUp;
  callbackStore: CallbackStore;
  callbacks: CallbackService;
}

export function buildAlertServices({ config, journal, bus, audit, registry, clock, log, ownership = OWNS_EVERYTHING }: AlertServiceDeps): AlertServices {
  const now = () => clock.now();
  const alertLog = log.child({ module: 'alerts' });
  const callbackLog = log.child({ module: 'callbacks' });
  const alertFeed = new AlertFeed({ now, chainId: () => journal.chainId, order: journal.order });
  const alerts = new AlertStore(journal, bus, audit, alertLog, alertFeed);
  const locations = new AlertLocations({ bus, store: alerts, registry, now, log: alertLog });
  const intake = new AlertIntake({ store: alerts, journal, bus, homes: registry, log: alertLog, locate: (homeId, deviceId) => locations.locate(homeId, deviceId) });
  const callbackStore = new CallbackStore(journal, audit, callbackLog);
  return {
    alertFeed,
    alerts,
    locations,
    emergencyHomes: new EmergencyHomes(alerts),
    intake,
    escalation: new Escalation(alerts, bus, clock, ownership),
    followUp: new FollowUp(alerts, bus, clock, { followUp: config.followUpMinutes, onScene: config.onSceneMinutes }, ownership),
    callbackStore,
    callbacks: new CallbackService({ store: callbackStore, alerts, bus, homes: registry, intake, now, timezone: config.timezone, log: callbackLog, ownership }),
  };
}
