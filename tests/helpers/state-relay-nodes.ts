/**
 * Nodes for the device state relay's tests (hub/cluster/device-state-relay.ts):
 * each with its own bus, DeviceStateStore, OwnedPartitions, real Ingest and
 * DevicePresence (watchdogs), a RulesEngine with the device-offline rule, and
 * a relay on a shared bus — an in-process mqemitter or a real Redis node's.
 */
import { EventBus } from '../../hub/core/event-bus.js';
import type { DeviceStateRelayed, DeviceStatusChange, HubEvents } from '../../hub/core/hub-events.js';
import { silentLogger } from '../../hub/core/logger.js';
import { OwnedPartitions } from '../../hub/core/partition-ownership.js';
import { partitionOfHome } from '../../hub/core/partitions.js';
import { DeviceStateRelay, type DeviceStateRelayDeps, type StateBus } from '../../hub/cluster/device-state-relay.js';
import { DeviceStateStore } from '../../hub/ingest/device-state.js';
import { Ingest } from '../../hub/ingest/ingest.js';
import { DevicePresence } from '../../hub/ingest/presence.js';
import { SeqWindow } from '../../hub/ingest/seq-window.js';
import type { DeviceRecord, HomeRecord, ResidentRecord } from '../../hub/registry/records.js';
import type { AlertDraft } from '../../hub/alerts/alert.js';
import { deviceOfflineRule } from '../../hub/rules/catalog/device-offline.js';
import { RulesEngine } from '../../hub/rules/engine.js';
import type { ManualClock } from './manual-clock.js';
import { home, resident } from '../rules/rule-harness.js';

/** A home id whose partition differs from every one in `taken`. */
export function homeOutside(prefix: string, taken: number[]): string {
  for (let i = 0; ; i++) if (!taken.includes(partitionOfHome(`${prefix}-${i}`))) return `${prefix}-${i}`;
}

export const HOME_A = 'home-a';
export const PA = partitionOfHome(HOME_A);
export const HOME_B = homeOutside('home-b', [PA]);
export const PB = partitionOfHome(HOME_B);
export const HEARTBEAT_SEC = 10;

export const bracelet = (id: string, homeId: string): DeviceRecord => ({
  id,
  homeId,
  kind: 'bracelet',
  serial: id,
  secretHash: 'sha256:00',
  createdAt: '2026-11-24T00:00:00.000Z',
  heartbeatSec: HEARTBEAT_SEC,
});

export const DEV_A = bracelet('brc-a', HOME_A);
export const DEV_B = bracelet('brc-b', HOME_B);

export interface RelayNode {
  nodeId: string;
  bus: EventBus<HubEvents>;
  states: DeviceStateStore;
  ownership: OwnedPartitions;
  presence: DevicePresence;
  ingest: Ingest;
  relay: DeviceStateRelay;
  /** Every device.status heard on this node's bus. */
  statuses: DeviceStatusChange[];
  relayed: DeviceStateRelayed[];
  /** device.signal events heard (the relay never re-emits them). */
  signals: number;
  /** Alerts this node's rules raised. */
  raised: AlertDraft[];
  telemetry(deviceId: string, values: Record<string, unknown>): void;
  stop(): void;
}

export interface RelayNodeOptions {
  devices?: DeviceRecord[];
  relay?: Partial<Omit<DeviceStateRelayDeps, 'nodeId' | 'states' | 'bus' | 'ownership' | 'clock' | 'log'>>;
}

export function relayNode(nodeId: string, owned: number[], mq: StateBus, clock: ManualClock, options: RelayNodeOptions = {}): RelayNode {
  const log = silentLogger();
  const devices = new Map((options.devices ?? [DEV_A, DEV_B]).map((d) => [d.id, d]));
  const homeIds = [...new Set([...devices.values()].map((d) => d.homeId))];
  const homes = new Map<string, HomeRecord>(homeIds.map((id) => [id, home({ id, residentId: `res-${id}` })]));
  const residents = new Map<string, ResidentRecord>(homeIds.map((id) => [`res-${id}`, resident({ id: `res-${id}`, homeId: id })]));
  const bus = new EventBus<HubEvents>(log);
  const states = new DeviceStateStore();
  const ownership = new OwnedPartitions(owned);
  const presence = new DevicePresence(states, bus, clock, undefined, { ownership, devices: () => devices.values() });
  const registry = { getDevice: (id: string) => devices.get(id), getHome: (id: string) => homes.get(id) };
  const ingest = new Ingest(
    { registry, states, seqWindow: new SeqWindow(), watchdog: presence.watchdog, bus },
    { journal: { whenDurable: () => Promise.resolve() }, load: { shedding: false, mayShed: () => false, countShed: () => undefined } },
    log,
    () => clock.now(),
  );
  const raised: AlertDraft[] = [];
  const rules = new RulesEngine({
    rules: [deviceOfflineRule],
    bus,
    registry: { ...registry, getResident: (id) => residents.get(id), residentIds: (homeId) => [...residents.values()].filter((r) => r.homeId === homeId).map((r) => r.id) },
    alerts: { submit: (draft) => void raised.push(draft) },
    clock,
    timezone: 'UTC',
    log,
    ownership,
  });
  rules.start();
  const relay = new DeviceStateRelay({ nodeId, states, bus, ownership, clock, log, ...options.relay });
  const node: RelayNode = {
    nodeId,
    bus,
    states,
    ownership,
    presence,
    ingest,
    relay,
    statuses: [],
    relayed: [],
    signals: 0,
    raised,
    telemetry: (deviceId, values) => void ingest.accept(deviceId, 'telemetry', Buffer.from(JSON.stringify(values)), clock.now()),
    stop: () => {
      relay.stop();
      rules.stop();
      presence.stop();
    },
  };
  bus.on('device.status', (change) => node.statuses.push(change));
  bus.on('device.state_relayed', (r) => node.relayed.push(r));
  bus.on('device.signal', () => node.signals++);
  presence.watchAll(devices.values(), undefined, clock.now());
  relay.start(mq);
  return node;
}
