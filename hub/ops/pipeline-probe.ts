/**
 * The synthetic heartbeat's round trip (issue 12 item 7): broker → ingest →
 * owner → journal → stream, and its PUBACK back to the sender.
 *
 * - sent: an MQTT QoS 1 publish from the probe client, over loopback TCP into
 *   the hub's own listener (probe-access.ts lets it in);
 * - broker: the broker's pre-ack hook handed it to the hub's device-message
 *   entry (message-tap.ts routes it here instead of into the device steps,
 *   so it never becomes device state, a reading or an alert);
 * - journal: the journal's durability barrier, exactly as an alarm's PUBACK
 *   waits on it (Ingest.accept: every event waits for whenDurable), so an
 *   alarm stuck in the journal stalls the heartbeat behind it. When nothing
 *   has been made durable for JOURNAL_PROOF_MS (an idle site), the heartbeat
 *   writes its own `pipeline.heartbeat` line, so a disk or database that
 *   stopped is found before the next alarm needs it. At most 288 lines a day
 *   (~55 KB), none on a busy site: a line every beat would be 8,640 a day,
 *   replayed at every start forever. No replayer reads the type back;
 * - stream: the event bus that feeds the WebSocket fan-out (the stream server
 *   forwards only its own event types, so no console or family page sees it);
 * - acked: the PUBACK, released by the same promise an alarm's PUBACK waits
 *   for, arrives back at the probe.
 * Single node, and a cluster's leader: this node is the owner of every
 * home, so the owner hop is this process. A cluster standby (`forwarding()`
 * true) sends its heartbeat on like an alarm: its broker's hook hands it to
 * the forwarder, which stores it for the leader (inbound_alarm) before the
 * PUBACK — here the `broker` stage. The leader takes it off its drain
 * (`arriveFromPeer`), waits for its own journal, puts it on its stream bus,
 * and echoes it back over Redis (hub/cluster/probe-echo.ts): that echo, not
 * the PUBACK, completes a standby's heartbeat. Timing and the stall decision
 * are PipelineMonitor's.
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import type { MqttClient } from 'mqtt';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { JournalStore } from '../storage/ports.js';
import { PipelineMonitor, type RecoveryReport, type StallReport } from './pipeline-monitor.js';
import { PROBE_CLIENT_PREFIX, type ProbeIdentity } from './probe-access.js';

export const HEARTBEAT_LINE = 'pipeline.heartbeat';
/** How long the journal may go without a line made durable before the heartbeat writes one. */
export const JOURNAL_PROOF_MS = 5 * 60_000;

export interface PipelineProbeDeps {
  nodeId: string;
  identity: ProbeIdentity;
  clock: Clock;
  intervalMs: number;
  stallMs: number;
  journal: Pick<JournalStore, 'append' | 'whenDurable' | 'durableN'>;
  bus: EventBus<HubEvents>;
  log: Logger;
  onStalled(report: StallReport): void;
  onRecovered(report: RecoveryReport): void;
  onRoundTrip?(ms: number): void;
  /** True while another node runs the pipeline (a cluster standby): heartbeats go to it. */
  forwarding?: () => boolean;
  /** The cluster's echo of heartbeats between nodes (hub/cluster/probe-echo.ts); absent alone. */
  echo?: ProbeEchoPort | undefined;
}

/** A heartbeat between nodes: `run` tells one process of a node from the next (beats restart at 1). */
export interface EchoedBeat {
  run: string;
  beat: number;
}

export interface ProbeEchoPort {
  send(nodeId: string, beat: EchoedBeat): void;
  listen(nodeId: string, onEcho: (beat: EchoedBeat) => void): () => void;
}

export class PipelineProbe {
  readonly monitor: PipelineMonitor;
  private client: MqttClient | undefined;
  private offStream: (() => void) | undefined;
  /** The journal's durableN when last looked at, and when it was last seen to grow (or a proof line was durable). */
  private seenDurableN = 0;
  private provenAt = Number.NEGATIVE_INFINITY;
  private proofPending = false;
  /** Heartbeats due before the MQTT client existed: published once it does. */
  private readonly unsent: number[] = [];
  private stopped = false;
  /** This process's heartbeats, told apart from an earlier process of the same node. */
  private readonly run = randomBytes(6).toString('hex');
  private offEcho: (() => void) | undefined;
  /** Set by the first heartbeat this node carries through its own pipeline (alone, or once it leads). */
  private runsLocally = false;

  constructor(private readonly deps: PipelineProbeDeps) {
    this.monitor = new PipelineMonitor({
      clock: deps.clock,
      intervalMs: deps.intervalMs,
      stallMs: deps.stallMs,
      send: (beat) => this.send(beat),
      onStalled: deps.onStalled,
      onRecovered: deps.onRecovered,
      onRoundTrip: deps.onRoundTrip,
    });
  }

  /**
   * Starts the heartbeats and connects the probe to the broker listening at
   * `address`. mqtt.js is imported here, not at module load: the hub's cold
   * start does not pay for it (see metrics.ts). Its client class over a
   * plain TCP socket: `mqtt.connect` would load its protocol table first
   * (SOCKS, WebSocket, TLS; the SOCKS module's address parser alone took
   * ~25 ms of the start), and would follow MQTTJS_SOCKS_PROXY for this
   * loopback hop.
   */
  async start(address: ProbeAddress): Promise<void> {
    const { identity, nodeId, log } = this.deps;
    this.offStream = this.deps.bus.on('pipeline.heartbeat', (hb) => {
      if (hb.nodeId === nodeId) this.monitor.reached(hb.beat, 'stream');
    });
    this.offEcho = this.deps.echo?.listen(nodeId, (echoed) => this.echoed(echoed));
    this.monitor.start();
    const { default: mqtt } = await import('mqtt');
    if (this.stopped) return;
    const client = new mqtt.MqttClient(() => createConnection({ host: address.host, port: address.port, noDelay: true }), {
      clientId: identity.clientId,
      username: identity.clientId,
      password: identity.password,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1_000,
      connectTimeout: 5_000,
    });
    // Its failures show as a stalled pipeline, with the reason; the log keeps the detail.
    client.on('error', (err) => log.debug({ err: err.message }, 'pipeline probe connection error'));
    this.client = client;
    for (const beat of this.unsent.splice(0)) this.send(beat);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.monitor.stop();
    this.offStream?.();
    this.offEcho?.();
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true);
  }

  /** The probe's own MQTT connection (not a device: kept out of the connection counts). */
  isProbe(clientId: string): boolean {
    return clientId === this.deps.identity.clientId;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /**
   * The hub's side: a heartbeat came in through the broker's hook. The
   * returned promise is what its PUBACK waits for, as for an alarm: settled
   * once the heartbeat is durable and through the stream.
   */
  arrive(payload: Buffer, forward: () => Promise<unknown> | undefined): Promise<unknown> | undefined {
    const beat = beatOf(payload)?.beat;
    if (beat === undefined) return undefined;
    if (this.deps.forwarding?.()) {
      // A standby: on to the leader like an alarm; the echo will say it came through.
      return forward();
    }
    if (!this.runsLocally) {
      // Lines replayed at start (or by the journal this node has just taken over) prove nothing
      // about writing now: the first heartbeat this node carries itself writes one.
      this.runsLocally = true;
      this.seenDurableN = this.deps.journal.durableN;
    }
    this.monitor.reached(beat, 'broker');
    const durable = this.proofDue() ? this.writeProof(beat) : this.deps.journal.whenDurable();
    return durable.then(() => {
      this.monitor.reached(beat, 'journal');
      this.deps.bus.emit('pipeline.heartbeat', { nodeId: this.deps.nodeId, beat });
    });
  }

  /**
   * The leader's side of a standby's heartbeat, from its inbound drain: made
   * durable and put on the stream bus as its own are, then echoed to the
   * node that sent it. The drain deletes the row once this settles.
   */
  arriveFromPeer(clientId: string, payload: Buffer): Promise<void> | undefined {
    const sent = beatOf(payload);
    const peer = clientId.slice(PROBE_CLIENT_PREFIX.length);
    if (sent?.run === undefined) return undefined;
    return this.deps.journal.whenDurable().then(() => {
      this.deps.bus.emit('pipeline.heartbeat', { nodeId: peer, beat: sent.beat });
      this.deps.echo?.send(peer, { run: sent.run!, beat: sent.beat });
    });
  }

  private echoed({ run, beat }: EchoedBeat): void {
    // An earlier process of this node numbered its beats from 1 too: only this run's count.
    if (run !== this.run) return;
    this.monitor.reached(beat, 'journal');
    this.monitor.reached(beat, 'stream');
    this.monitor.reached(beat, 'acked');
  }

  private proofDue(): boolean {
    const now = this.deps.clock.now();
    const { durableN } = this.deps.journal;
    if (durableN > this.seenDurableN) {
      this.seenDurableN = durableN;
      this.provenAt = now;
    }
    return !this.proofPending && now - this.provenAt >= JOURNAL_PROOF_MS;
  }

  private writeProof(beat: number): Promise<void> {
    this.proofPending = true;
    const { durable } = this.deps.journal.append(HEARTBEAT_LINE, { nodeId: this.deps.nodeId, beat });
    return durable.finally(() => (this.proofPending = false));
  }

  private send(beat: number): void {
    const client = this.client;
    if (!client) return void this.unsent.push(beat);
    // Queued by mqtt.js while disconnected: a heartbeat that cannot get in shows as stuck at `sent`.
    client.publish(this.deps.identity.topic, JSON.stringify({ beat, run: this.run }), { qos: 1 }, (err) => {
      // A standby's PUBACK means stored for the leader (the `broker` stage); the echo completes it.
      // (A beat forwarded just before this node took the lead completes on its PUBACK: once.)
      if (!err) this.monitor.reached(beat, this.deps.forwarding?.() ? 'broker' : 'acked');
    });
  }
}

function beatOf(payload: Buffer): { beat: number; run: string | undefined } | undefined {
  try {
    const { beat, run } = JSON.parse(payload.toString('utf8')) as { beat?: unknown; run?: unknown };
    return typeof beat === 'number' && Number.isSafeInteger(beat) ? { beat, run: typeof run === 'string' ? run : undefined } : undefined;
  } catch {
    return undefined;
  }
}

export interface ProbeAddress {
  host: string;
  port: number;
}

/** Where the probe reaches the broker: the listener's own address, with a wildcard bind replaced by loopback. */
export function probeAddress(host: string, port: number): ProbeAddress {
  return { host: host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host, port };
}
