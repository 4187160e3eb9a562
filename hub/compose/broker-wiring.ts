/**
 * How the composition root (hub/hub.ts) connects the MQTT broker to the rest
 * of the hub: where device messages go (this node's ingest, or the leader
 * through the cluster), what the alarms-first scheduler may shed, who hears
 * of connections and command PUBACKs, and what the operations side taps.
 * Split out of hub.ts; every part is still passed in explicitly.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { devicePolicy } from '../broker/access-policy.js';
import { MqttBroker, type CommandLinkEvents } from '../broker/mqtt-broker.js';
import type { SchedulerOptions } from '../broker/uplink-scheduler.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { HubConfig } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Ingest } from '../ingest/ingest.js';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import type { HubOps } from '../ops/hub-ops.js';
import type { Registry } from '../registry/registry.js';
import type { JournalStore } from '../storage/ports.js';
import type { ClusterRole } from './cluster-role.js';

export interface BrokerWiringDeps {
  config: HubConfig;
  registry: Registry;
  journal: JournalStore;
  audit: AuditLog;
  ingest: Ingest;
  /** This node's own entry for device messages (ingest behind the journal's dedupe). */
  localIngest: DeviceMessageHandler;
  ops: HubOps;
  /** The command outbox: told of subscriptions and PUBACKs when the hub runs alone. */
  outbox: CommandLinkEvents;
  cluster: ClusterNode | undefined;
  role: ClusterRole | undefined;
  /** Tells this node's pipeline that a device connected or left. */
  deviceConnection(deviceId: string, connected: boolean, at: number): void;
  scheduler: Partial<SchedulerOptions> | undefined;
  clock: Clock;
  log: Logger;
}

export function buildBroker(deps: BrokerWiringDeps): MqttBroker {
  const { config, registry, journal, ingest, ops, cluster, role, clock } = deps;
  const now = () => clock.now();
  // A standby forwards what its devices send to the leader (ClusterRole switches when it leads);
  // a cluster node stores alarms but acknowledges none while it cannot reach Redis.
  const routed = role?.uplink ?? deps.localIngest;
  const uplink = ops.tap(cluster?.ackAlarmsOnlyWithRedis(routed) ?? routed);
  const brokerLog = deps.log.child({ module: 'broker' });
  return new MqttBroker({
    settings: config,
    registry,
    access: ops.access(devicePolicy(registry)),
    // With PostgreSQL, an event already journaled (its unique message key) is acked without a second run.
    onDeviceMessage: uplink,
    ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
    timings: ops.uplinkTimings(),
    ...(journal.noticeDurable ? { onChunk: journal.noticeDurable.bind(journal) } : {}),
    // Routine telemetry past the scheduler queue's bound is acknowledged and shed as it arrives (uplink-scheduler.ts).
    telemetry: {
      routine: (deviceId, payload) => ingest.routine(deviceId, payload),
      // A standby keeps no device state: what it sheds still goes on to the leader, or the home's owner (a Redis publish).
      shed: (deviceId, payload) => (!role || role.handlesLocally(deviceId) ? ingest.shed(deviceId, now()) : void uplink(deviceId, 'telemetry', payload)),
    },
    onConnection: (deviceId, connected) => {
      if (ops.isProbe(deviceId)) return;
      // A standby tells the leader (ClusterRole); this node's own pipeline hears it on the bus.
      if (role) role.connection(deviceId, connected, now());
      else deps.deviceConnection(deviceId, connected, now());
    },
    // In a cluster the relay tells the outbox of devices subscribed on every node.
    commandLink: cluster?.relay ?? deps.outbox,
    cluster: () => cluster?.brokerOptions,
    audit: (action, actor, detail) => {
      // Only the node that holds the journal may append to it (on a standby an append throws). A
      // standby hands the record to the leader's journal through PostgreSQL instead; what reaches
      // here has passed the broker's audit throttle, and the hand-off bounds what waits.
      if (role && !role.leading) role.forwardAudit(action, actor, detail, now());
      else deps.audit.record(action, actor, undefined, detail);
    },
    log: brokerLog,
    now,
  });
}
