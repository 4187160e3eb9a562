/**
 * The way back for a standby's pipeline heartbeat (issue 12 item 7: each
 * node sends one through broker → ingest → owner → journal → stream). A
 * standby's heartbeat goes to the leader like an alarm (inbound_alarm,
 * durable before its PUBACK); once the leader's journal has made it durable
 * and the leader's stream bus has carried it, the leader echoes it here, on
 * the cluster's shared Redis bus, to the node that sent it. Only then is
 * that node's heartbeat through: a leader whose drain, journal or stream is
 * stuck shows on every standby's /health, not only its own.
 */
import type { Message } from 'mqemitter';
import type { EchoedBeat, ProbeEchoPort } from '../ops/pipeline-probe.js';

const topicFor = (nodeId: string) => `$HUB/probe-echo/${nodeId}`;

type Listener = (message: Message, done: () => void) => void;

/** What of the cluster's shared bus (Aedes' `mq`, mqemitter-redis) the echo uses. */
export interface EchoBus {
  emit(message: Message): void;
  on(topic: string, listener: Listener): unknown;
  removeListener(topic: string, listener: Listener): void;
}

export class ProbeEcho implements ProbeEchoPort {
  constructor(private readonly mq: () => EchoBus) {}

  /** The leader: heartbeat `beat` of node `nodeId` went through its pipeline. */
  send(nodeId: string, beat: EchoedBeat): void {
    this.mq().emit({ topic: topicFor(nodeId), payload: JSON.stringify(beat) });
  }

  /** This node's echoes; returns the unsubscribe. */
  listen(nodeId: string, onEcho: (beat: EchoedBeat) => void): () => void {
    const mq = this.mq();
    const listener: Listener = (packet, done) => {
      const beat = echoedBeatOf((packet as { payload?: unknown }).payload);
      if (beat) onEcho(beat);
      done();
    };
    mq.on(topicFor(nodeId), listener);
    return () => mq.removeListener(topicFor(nodeId), listener);
  }
}

function echoedBeatOf(payload: unknown): EchoedBeat | undefined {
  try {
    const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload);
    const { run, beat } = JSON.parse(text) as Partial<EchoedBeat>;
    return typeof run === 'string' && typeof beat === 'number' && Number.isSafeInteger(beat) ? { run, beat } : undefined;
  } catch {
    return undefined;
  }
}
