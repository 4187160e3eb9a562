/** The demo's terminal view of the operator stream: one line per alert raised or changed. */
import WebSocket from 'ws';

interface StreamAlert {
  kind: string;
  severity: string;
  status: string;
  homeId: string;
  title: string;
  occurrences: number;
}

export function followAlerts(wsUrl: string, homeName: (homeId: string) => string, print: (line: string) => void): () => void {
  const socket = new WebSocket(wsUrl);
  socket.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; alert?: StreamAlert };
    if (!m.alert || (m.type !== 'alert.raised' && m.type !== 'alert.updated')) return;
    const a = m.alert;
    const what = m.type === 'alert.raised' ? 'ALERT' : 'alert updated';
    print(`${what}: ${a.severity} ${a.kind} — ${a.title} — ${homeName(a.homeId)} (${a.status}${a.occurrences > 1 ? `, ${a.occurrences} occurrences` : ''})`);
  });
  socket.on('error', (err) => print(`alert feed: ${err.message}`));
  return () => socket.terminate();
}
