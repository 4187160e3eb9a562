/**
 * The demo's simulated neighbourhood: one Household per home, living its
 * ordinary routine in real time (devices at their real intervals), and an
 * emergency played in a random home on demand. On a cluster home i connects
 * to broker i mod N first and, when that node dies, to the next ones in turn
 * (as devices behind a load balancer would).
 */
import { heartbeatActions, ROLE_KIND, ROLES, sortActions, type Action, type Role } from '../../simulators/household/actions.js';
import { Household, type HouseholdOptions } from '../../simulators/household/household.js';
import { routineBetween } from '../../simulators/household/routine.js';
import { runActions } from '../../simulators/household/runner.js';
import type { ProvisionedHome } from '../../simulators/hub-api.js';
import type { BrokerAddress } from '../../simulators/simulated-device.js';
import { findDeviceKind } from '../../devices/catalog.js';
import { timelineActions, type Scenario } from '../../simulators/scenarios/index.js';

const DAY_MS = 86_400_000;
/** Emergencies are played 10× faster than written: a gas leak's rising LEL takes seconds, not minutes. */
const EMERGENCY_COMPRESS = 10;

const realTime = (signal: AbortSignal) => async (t: number) => {
  while (!signal.aborted && Date.now() < t) await new Promise((r) => setTimeout(r, Math.min(1_000, t - Date.now())));
};

/** One broker: its URL. Several: all of them, starting at home `index` mod N, so the homes spread over the nodes. */
function brokersFor(index: number, brokers: readonly BrokerAddress[]): Pick<HouseholdOptions, 'url' | 'servers'> {
  const first = brokers[index % brokers.length]!;
  const url = `mqtt://${first.host}:${first.port}`;
  if (brokers.length === 1) return { url };
  return { url, servers: brokers.map((_, i) => brokers[(index + i) % brokers.length]!) };
}

export class Neighbourhood {
  readonly households: { home: ProvisionedHome; household: Household }[] = [];
  private readonly controller = new AbortController();
  private readonly running: Promise<void>[] = [];

  constructor(
    homes: readonly ProvisionedHome[],
    brokers: readonly BrokerAddress[],
    private readonly utcOffsetMin: number,
    onError: (homeId: string, err: Error) => void,
  ) {
    for (const [index, home] of homes.entries()) {
      const devices: Partial<Record<Role, { deviceId: string; secret: string }>> = {};
      for (const role of ROLES) {
        const d = home.devices.find((x) => x.kind === ROLE_KIND[role]);
        if (d) devices[role] = { deviceId: d.deviceId, secret: d.secret };
      }
      const household = new Household({ ...brokersFor(index, brokers), devices, now: () => Date.now(), utcOffsetMin, activity: 'home' });
      household.on('error', (err) => onError(home.homeId, err));
      this.households.push({ home, household });
    }
  }

  /** Connects every home, then lets each live its day: routine and heartbeats, from now on. */
  async start(): Promise<void> {
    await Promise.all(this.households.map((h) => h.household.start()));
    const now = Date.now();
    const heartbeatSec = Object.fromEntries(ROLES.map((r) => [r, findDeviceKind(ROLE_KIND[r])?.heartbeatSec ?? 300])) as Record<Role, number>;
    for (const { household } of this.households) {
      const routine = routineBetween(now - DAY_MS, now + 7 * DAY_MS, Math.random, this.utcOffsetMin);
      // Where the resident is right now: the routine's last change of activity before now.
      const current = routine.filter((a): a is Extract<Action, { kind: 'resident' }> => a.kind === 'resident' && a.at <= now).pop();
      if (current) await household.perform({ ...current, at: now });
      const actions = sortActions([...routine.filter((a) => a.at > now), ...heartbeatActions(now + 1_000, now + 7 * DAY_MS, heartbeatSec)]);
      this.running.push(runActions(actions, (a) => household.perform(a), realTime(this.controller.signal), this.controller.signal));
    }
  }

  /** Plays one emergency's timeline in one home, compressed; resolves when its last step is done. */
  async emergency(index: number, scenario: Scenario): Promise<void> {
    const target = this.households[index];
    if (!target) return;
    const actions = timelineActions(scenario, Date.now(), EMERGENCY_COMPRESS);
    await runActions(actions, (a) => target.household.perform(a), realTime(this.controller.signal), this.controller.signal);
    // A few minutes later the smoke has cleared and the gas is off: the sensors read normal again.
    await realTime(this.controller.signal)(Date.now() + 3 * 60_000);
    target.household.clearReadings();
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.allSettled(this.running);
    await Promise.all(this.households.map((h) => h.household.stop()));
  }
}
