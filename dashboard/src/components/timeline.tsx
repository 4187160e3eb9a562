/** The alert's history, oldest first: every line says when, what and who. */
import type { Alert, TimelineEntry } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { actorName, formatTime } from '../util/format.js';

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

function detail(entry: TimelineEntry): string | undefined {
  switch (entry.type) {
    case 'raised':
    case 'occurrence':
      return str(entry.eventType) && tValue('event', String(entry.eventType));
    case 'attached':
    case 'severity_changed':
      return str(entry.note);
    case 'dispatched': {
      const rs = Array.isArray(entry.responders) ? (entry.responders as { kind?: string; name?: string }[]) : [];
      return rs.map((r) => `${tValue('responder', r.kind ?? '')}: ${r.name ?? ''}`).join(', ');
    }
    case 'responder_joined':
      return `${tValue('responder', str(entry.kind) ?? '')}: ${str(entry.name) ?? ''} → ${tValue('responderState', str(entry.state) ?? '')}`;
    case 'responder_updated':
      return `${str(entry.name) ?? ''} → ${tValue('responderState', str(entry.state) ?? '')}`;
    case 'note_added':
    case 'released':
      return str(entry.text ?? entry.note);
    case 'handed_over':
      return `${actorName(str(entry.from))} → ${actorName(str(entry.to))}: ${str(entry.note) ?? ''}`;
    case 'stalled':
      return actorName(str(entry.holder));
    case 'responder_late':
      return str(entry.name);
    case 'resolved':
      return [tValue('outcome', str(entry.outcome) ?? ''), str(entry.note)].filter(Boolean).join(' — ');
    case 'command_sent':
      return tValue('command', str(entry.command) ?? '');
    case 'command_updated':
      return `${tValue('command', str(entry.command) ?? '')} → ${str(entry.deviceId) ?? ''}: ${tValue('commandState', str(entry.state) ?? '')}${entry.reason ? ` (${tValue('expiry', String(entry.reason))})` : ''}`;
    default:
      return undefined;
  }
}

export function Timeline({ alert }: { alert: Alert }) {
  return (
    <section class="card" aria-labelledby="timeline-title">
      <h2 id="timeline-title">{t('timeline.title')}</h2>
      <ol class="timeline">
        {alert.timeline.map((entry, i) => {
          const text = detail(entry);
          return (
            <li key={i} class={`tl tl-${entry.type}`} data-type={entry.type}>
              <time dateTime={entry.at}>{formatTime(entry.at)}</time>
              <span class="tl-what">{tValue('timeline', entry.type)}</span>
              <span class="tl-who">{actorName(entry.actor)}</span>
              {text && <span class="tl-detail">{text}</span>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
