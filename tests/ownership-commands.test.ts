/**
 * Device commands are sent by the owner of the device's home's partition only
 * (issue 12 step 3, docs/CLUSTER.md "Step 3, service by service"): the
 * command outbox and the alert commands on a real journal (files in a temp
 * dir), with a share of the partitions that moves (OwnedPartitions, the real
 * thing). The broker's side is a recording transport plus the link events
 * the broker (or the command relay) gives the outbox — subscribed, PUBACKed —
 * as commands.test.ts checks over real MQTT for a hub that owns everything.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceCommand } from '../devices/commands.js';
import type { Alert } from '../hub/alerts/alert.js';
import { AlertStore } from '../hub/alerts/alert-store.js';
import { AlertCommands, HELP_COMING_TTL_MS, HELP_CONFIRM_MS } from '../hub/commands/alert-commands.js';
import { CommandOutbox } from '../hub/commands/command-outbox.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { NotOwnedHereError, OwnedPartitions } from '../hub/core/partition-ownership.js';
import { partitionOfHome } from '../hub/core/partitions.js';
import type { DeviceRecord } from '../hub/registry/records.js';
import { Journal } from '../hub/storage/journal.js';
import { useCleanup } from './helpers/cleanup.js';
import { journalLines } from './helpers/journal-lines.js';
import { ManualClock } from './helpers/manual-clock.js';
import { openSos } from './helpers/open-alert.js';
import { makeTempDir } from './helpers/temp-dir.js';

const keep = useCleanup();

const HOME_A = 'home-a';
const HOME_B = 'home-b';
const A = partitionOfHome(HOME_A);
const B = partitionOfHome(HOME_B);

const device = (id: string, homeId: string): DeviceRecord => ({ id, homeId, kind: 'bracelet', serial: id.toUpperCase(), secretHash: 'sha256:00', createdAt: '2026-11-24T00:00:00.000Z' });
const DEVICES = [device('brc-a', HOME_A), device('brc-a2', HOME_A), device('brc-b', HOME_B)];

/** One node: its journal (on the shared data dir), alert store, outbox and alert commands. */
interface Node {
  ownership: OwnedPartitions;
  journal: Journal;
  store: AlertStore;
  outbox: CommandOutbox;
  commands: AlertCommands;
  /** What the node published to devices, in order. */
  sent: { deviceId: string; command: DeviceCommand }[];
  stop(): Promise<void>;
}

async function startNode(dataDir: string, clock: ManualClock, owned: number[]): Promise<Node> {
  const log = silentLogger();
  const bus = new EventBus<HubEvents>(log);
  const journal = new Journal({ dir: join(dataDir, 'journal'), now: () => clock.now() });
  const ownership = new OwnedPartitions(owned);
  const store = new AlertStore(journal, bus, { noteJournaled: () => undefined }, log);
  const sent: Node['sent'] = [];
  const homeOf = (id: string) => DEVICES.find((d) => d.id === id)?.homeId;
  const outbox = new CommandOutbox({
    journal,
    homeOfDevice: homeOf,
    bus,
    transport: { sendCommand: async (deviceId, command) => void sent.push({ deviceId, command }) },
    clock,
    log,
    ownership,
  });
  const commands = new AlertCommands({
    store,
    outbox,
    bus,
    clock,
    registry: { listDevices: (homeId) => DEVICES.filter((d) => d.homeId === homeId) },
    whenDurable: () => journal.whenDurable(),
    log,
    ownership,
  });
  // Every node applies every line (the read replicas), then acts for what it owns.
  await journal.open((entry) => {
    store.replay(entry);
    outbox.replay(entry);
  });
  outbox.start();
  commands.start();
  let stopped = false;
  const node: Node = {
    ownership,
    journal,
    store,
    outbox,
    commands,
    sent,
    async stop() {
      if (stopped) return;
      stopped = true;
      commands.stop();
      outbox.stop();
      await journal.close();
    },
  };
  return keep(node, (n) => n.stop());
}

async function raise(node: Node, id: string, deviceId: string, clock: ManualClock): Promise<Alert> {
  const homeId = DEVICES.find((d) => d.id === deviceId)!.homeId;
  const alert = openSos(id, homeId, clock.now(), deviceId);
  return node.store.record('alert.raised', { alert }).durable;
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const commandLines = async (dataDir: string) => (await journalLines(dataDir)).filter((l) => l.type.startsWith('command.') || l.type === 'alert.command_updated' || l.type === 'alert.help_unconfirmed');
const session = () => ({});

describe('device commands sent by the owner of the home', () => {
  it('the two homes fall in different partitions (what the tests below rely on)', () => {
    expect(A).not.toBe(B);
  });

  it('help_coming for a device of an owned home is queued and sent; one for another node’s home is neither sent nor journaled', async () => {
    const dir = keep(await makeTempDir('own-commands-'), (t) => t.remove()).path;
    const clock = new ManualClock();
    const node = await startNode(dir, clock, [A]);
    const alertA = await raise(node, 'alr-a', 'brc-a', clock);
    const alertB = await raise(node, 'alr-b', 'brc-b', clock);
    node.outbox.subscribed('brc-a', 1, session());
    node.outbox.subscribed('brc-b', 1, session());

    await node.commands.send(alertA, 'user:op', 'help_coming');
    await node.commands.send(alertB, 'user:op', 'help_coming');
    await node.commands.send(alertB, 'user:op', 'silence');
    await settle();
    expect(node.sent.map((s) => [s.deviceId, s.command.cmd])).toEqual([['brc-a', 'help_coming']]);
    // Anything else asking for a command of B's home (the configure API) is told to go to its owner, and nothing is written.
    expect(() => node.outbox.enqueue('brc-b', { cmd: 'configure', heartbeatSec: 120 }, { actor: 'user:installer' })).toThrow(/another node/);
    await node.journal.whenDurable();
    const lines = await commandLines(dir);
    expect(lines.map((l) => [l.type, l.data.deviceId, l.data.alertId])).toEqual([
      ['command.queued', 'brc-a', 'alr-a'],
      ['alert.command_updated', 'brc-a', 'alr-a'],
    ]);
    // 60 s on, unconfirmed: A's alert falls back to A's other bracelet and is flagged here; B's is not touched (its owner does that).
    clock.advance(60_000);
    await node.journal.whenDurable();
    const flagged = (await commandLines(dir)).filter((l) => l.type === 'alert.help_unconfirmed').map((l) => l.data.alertId);
    expect(flagged).toEqual(['alr-a']);
    expect(node.outbox.open().map((c) => c.deviceId)).toEqual(['brc-a', 'brc-a2']);
  });

  it('gaining the partition resumes a pending command from the journal: sent with its id, its PUBACK recorded, its alert’s timers armed', async () => {
    const dir = keep(await makeTempDir('own-commands-'), (t) => t.remove()).path;
    const clock = new ManualClock();
    // Node one owns B and queues help_coming for an offline bracelet, then dies.
    const one = await startNode(dir, clock, [B]);
    const alertB = await raise(one, 'alr-b', 'brc-b', clock);
    await one.commands.send(alertB, 'user:op', 'help_coming');
    const [pending] = one.outbox.open();
    expect(pending).toMatchObject({ deviceId: 'brc-b', state: 'pending' });
    await one.stop();

    // Node two replays the journal; the bracelet subscribes there, but B is not its home yet:
    // nothing is sent, and past the 60 s of the confirmation timer nothing is flagged either.
    const two = await startNode(dir, clock, []);
    const link = session();
    two.outbox.subscribed('brc-b', 1, link);
    clock.advance(61_000);
    await settle();
    expect(two.sent).toEqual([]);
    expect(two.store.get('alr-b')!.flags.helpUnconfirmed).toBeFalsy();

    two.ownership.gain([B]);
    await settle();
    expect(two.sent.map((s) => s.command)).toEqual([{ cmd: 'help_coming', cmdId: pending!.cmdId, alertId: 'alr-b' }]);
    two.outbox.acked('brc-b', link);
    expect(two.outbox.get(pending!.cmdId)?.state).toBe('delivered');
    // The timers run from the first help_coming's queuedAt, not from the gain: the 60 s are over, so the flag comes at once.
    clock.advance(0);
    expect(two.store.get('alr-b')!.flags.helpUnconfirmed).toBe(true);
    await two.journal.whenDurable();
    const lines = await commandLines(dir);
    expect(lines.map((l) => l.type)).toEqual(['command.queued', 'alert.command_updated', 'command.delivered', 'alert.command_updated', 'alert.help_unconfirmed']);
    // Once each: queued by node one, delivered by node two.
    expect(lines.filter((l) => l.type === 'command.queued')).toHaveLength(1);
  });

  it('losing the partition stops the retries: no resend, no PUBACK recorded, no fallback, flag or expiry written', async () => {
    const dir = keep(await makeTempDir('own-commands-'), (t) => t.remove()).path;
    const clock = new ManualClock();
    const node = await startNode(dir, clock, [A]);
    const alertA = await raise(node, 'alr-a', 'brc-a', clock);
    const first = session();
    node.outbox.subscribed('brc-a', 1, first);
    await node.commands.send(alertA, 'user:op', 'help_coming');
    await settle();
    expect(node.sent).toHaveLength(1); // in flight: not PUBACKed yet
    await node.journal.whenDurable();
    const before = (await commandLines(dir)).length;

    node.ownership.lose([A]);
    node.outbox.acked('brc-a', first); // a late PUBACK
    node.outbox.gone('brc-a', first);
    node.outbox.subscribed('brc-a', 1, session()); // the bracelet reconnects: an owner would resend now
    node.outbox.subscribed('brc-a2', 1, session());
    clock.advance(HELP_COMING_TTL_MS + 1); // past the 30 s fallback, the 60 s flag and the 1 h expiry
    await settle();
    await node.journal.whenDurable();
    expect(node.sent).toHaveLength(1);
    expect((await commandLines(dir)).length).toBe(before);
    expect(node.outbox.get(node.sent[0]!.command.cmdId)?.state).toBe('pending');
    expect(node.store.get('alr-a')!.flags.helpUnconfirmed).toBeFalsy();
  });
});

describe('command timers of a node whose lease on the home ran out a moment ago', () => {
  it('help_coming unconfirmed and its expiry, refused at append (NotOwnedHereError), end quietly: nothing written, the process goes on', async () => {
    const dir = keep(await makeTempDir('own-commands-lapsed-'), (t) => t.remove()).path;
    const clock = new ManualClock();
    const node = await startNode(dir, clock, [A]);
    const alertA = await raise(node, 'alr-a', 'brc-a', clock);
    node.outbox.subscribed('brc-a', 1, session());
    await node.commands.send(alertA, 'user:op', 'help_coming');
    await node.journal.whenDurable();
    const before = (await commandLines(dir)).map((l) => l.type);
    // The journal's fence from here on, while OwnedPartitions (not yet told) still owns A.
    node.journal.append = (() => {
      throw new NotOwnedHereError(`this node does not hold partition ${A} now; another node acts for it: try again`);
    }) as typeof node.journal.append;
    expect(() => clock.advance(HELP_CONFIRM_MS)).not.toThrow(); // the unconfirmed flag, and the fallback before it
    expect(() => clock.advance(HELP_COMING_TTL_MS)).not.toThrow(); // the command's expiry
    expect((await commandLines(dir)).map((l) => l.type)).toEqual(before);
    expect(node.outbox.open('brc-a').map((c) => c.cmd)).toEqual(['help_coming']);
  });
});
