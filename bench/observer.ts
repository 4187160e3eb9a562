/**
 * The operator's side of the alarm-latency measurement: a WebSocket that
 * records when each alarm became visible. On the hub that is an `alert.raised`
 * or `alert.updated` for an SOS alert (repeats in a home become occurrences of
 * its open alert, so the k-th alarm of a bracelet is visible once the alert's
 * `occurrences` reaches k); on the baselines it is their `alarm` message.
 */
import WebSocket from 'ws';
import type { AlarmRecord } from '../simulators/load/device-pool.js';
import { wallClock } from '../simulators/load/device-pool.js';

interface Sighting {
  occurrences: number;
  at: number;
}

export class AlarmObserver {
  /** Hub: deviceId → when each occurrence count was first seen, in arrival order. */
  private readonly byOccurrence = new Map<string, Sighting[]>();
  /** Baselines: `${deviceId}#${seq}` → arrival. */
  private readonly bySeq = new Map<string, number>();
  /** Messages the baseline's subscriber processed (its own count, pushed every 250 ms). */
  delivered = 0;
  messages = 0;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.onMessage(data.toString()));
  }

  static open(url: string): Promise<AlarmObserver> {
    const socket = new WebSocket(url);
    const observer = new AlarmObserver(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(observer));
      socket.once('error', reject);
    });
  }

  private onMessage(text: string): void {
    const at = wallClock();
    this.messages++;
    const m = JSON.parse(text) as { type: string; alert?: { kind: string; deviceId: string; occurrences: number }; deviceId?: string; seq?: number; delivered?: number };
    if ((m.type === 'alert.raised' || m.type === 'alert.updated') && m.alert?.kind === 'sos') {
      const list = this.byOccurrence.get(m.alert.deviceId) ?? [];
      const last = list[list.length - 1];
      if (!last || m.alert.occurrences > last.occurrences) list.push({ occurrences: m.alert.occurrences, at });
      this.byOccurrence.set(m.alert.deviceId, list);
    } else if (m.type === 'alarm' && m.deviceId !== undefined && m.seq !== undefined) {
      this.bySeq.set(`${m.deviceId}#${m.seq}`, at);
    } else if (m.type === 'stats' && m.delivered !== undefined) {
      this.delivered = m.delivered;
    }
  }

  /** When the operator could first see this alarm, or undefined if never. */
  seenAt(alarm: AlarmRecord): number | undefined {
    const bySeq = this.bySeq.get(`${alarm.deviceId}#${alarm.seq}`);
    if (bySeq !== undefined) return bySeq;
    return this.byOccurrence.get(alarm.deviceId)?.find((s) => s.occurrences >= alarm.ordinal)?.at;
  }

  close(): void {
    this.socket.terminate();
  }
}
