/**
 * The baselines' stand-in for the hub's operator WebSocket: a ws server on a
 * free port that pushes one message per alarm, plus a running count of the
 * messages the subscriber processed, so the bench measures the baselines
 * exactly as it measures the hub (device publish → operator socket).
 */
import { once } from 'node:events';
import { WebSocketServer } from 'ws';

export interface AlarmPush {
  port: number;
  alarm(deviceId: string, seq: number): void;
  countDelivered(): void;
  close(): void;
}

export async function startAlarmPush(): Promise<AlarmPush> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  let delivered = 0;
  const broadcast = (message: string) => {
    for (const client of wss.clients) client.send(message);
  };
  const stats = setInterval(() => broadcast(JSON.stringify({ type: 'stats', delivered })), 250);
  return {
    port: (wss.address() as { port: number }).port,
    alarm: (deviceId, seq) => broadcast(JSON.stringify({ type: 'alarm', deviceId, seq })),
    countDelivered: () => void delivered++,
    close: () => {
      clearInterval(stats);
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

/** `deviceId` and `seq` of an SOS payload on an event topic, or undefined for anything else. */
export function sosOf(topic: string, payload: Buffer): { deviceId: string; seq: number } | undefined {
  if (!topic.endsWith('/event')) return undefined;
  const body = JSON.parse(payload.toString('utf8')) as { type?: unknown; seq?: unknown };
  if (body.type !== 'sos' || typeof body.seq !== 'number') return undefined;
  return { deviceId: topic.split('/')[2] ?? '', seq: body.seq };
}
