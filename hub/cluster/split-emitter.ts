/**
 * The message bus Aedes routes through in a cluster (issue 12): two
 * mqemitters behind Aedes' one `mq` option.
 *
 * - Device uplink (`hc/v1/<id>/event|telemetry|status`) stays in this
 *   process. The hub consumes it in the publish hook (DESIGN.md §10), and no
 *   client may subscribe to another device's uplink (docs/PROTOCOL.md), so no
 *   other node has a reader for it. Sent through Redis, every message would
 *   cost a Redis round trip before its PUBACK (Aedes emits before it acks)
 *   and a Redis PUBLISH that nobody receives — at 20,000 msg/s per node.
 * - Everything else — commands to devices (`hc/v1/<id>/cmd`), Aedes' own
 *   `$SYS/<broker>/new/clients` (takeover: the other nodes close their
 *   connection of that client id), heartbeats, the persistence's
 *   subscription broadcasts, the hub's command relay — goes through Redis
 *   (mqemitter-redis), so it reaches the node where the reader is.
 *
 * A listener is registered on both: whichever one a message is emitted on
 * delivers it, exactly once.
 */
import type { MQEmitter, Message } from 'mqemitter';

type Listener = (message: Message, done: () => void) => void;

export class SplitEmitter {
  constructor(
    private readonly local: MQEmitter,
    private readonly shared: MQEmitter,
    /** True for topics that never leave this process. */
    private readonly isLocal: (topic: string) => boolean,
  ) {}

  on(topic: string, listener: Listener, done?: () => void): this {
    const both = whenBoth(done);
    this.local.on(topic, listener, both);
    this.shared.on(topic, listener, both);
    return this;
  }

  removeListener(topic: string, listener: Listener, done?: () => void): void {
    const both = whenBoth(done);
    this.local.removeListener(topic, listener, both);
    this.shared.removeListener(topic, listener, both);
  }

  emit(message: Message, done?: (error?: Error) => void): void {
    (this.isLocal(message.topic) ? this.local : this.shared).emit(message, done);
  }

  /**
   * Aedes waits on this when the broker stops. mqemitter-redis closes with a
   * QUIT that a Redis that is gone never answers: after `closeTimeoutMs` the
   * broker stops anyway (the cluster node then cuts the connections).
   */
  close(done: () => void, closeTimeoutMs = 2_000): void {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(finish, closeTimeoutMs);
    this.local.close(() => this.shared.close(finish));
  }
}

/** Calls `done` once both emitters have called back (mqemitter may call back with nothing registered). */
function whenBoth(done: (() => void) | undefined): () => void {
  let waiting = 2;
  return () => {
    waiting -= 1;
    if (waiting === 0) done?.();
  };
}
