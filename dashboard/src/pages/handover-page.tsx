/**
 * The shift handover view (issue 13 item 7): who is here, the alerts nobody
 * has claimed, the alerts each operator holds (with since when), and the
 * call-backs still to make — what the outgoing shift tells the incoming one.
 */
import { useEffect, useState } from 'preact/hooks';
import { callbacksApi } from '../api/callbacks.js';
import type { AlertSummary, CallbackRecord } from '../api/types.js';
import { Elapsed } from '../components/elapsed.js';
import { homeLabel } from '../components/home-picker.js';
import { t, tValue } from '../i18n/index.js';
import { book, presence } from '../live/index.js';
import { href } from '../router.js';
import { actorName, formatTime } from '../util/format.js';
import { useNow } from '../util/ticker.js';
import { errorText } from '../util/use-action.js';
import { useStore } from '../util/use-store.js';
import { CallbackTable } from './callbacks-page.js';

function AlertList({ alerts }: { alerts: readonly AlertSummary[] }) {
  if (alerts.length === 0) return <p class="muted">{t('handover.none')}</p>;
  return (
    <ul class="handover-alerts">
      {alerts.map((a) => (
        <li key={a.id} data-alert-id={a.id}>
          <span class={`sev-badge sev-${a.severity}`}>{tValue('severity', a.severity)}</span> <a href={href.alert(a.id)}>{tValue('kind', a.kind)}</a> · {homeLabel(a.homeId)} ·{' '}
          <Elapsed since={a.raisedAt} />
          {a.heldSince && <span class="muted"> · {t('handover.since', { at: formatTime(a.heldSince) })}</span>}
          {a.flags.stalled && <span class="tag tag-warn">{t('queue.stalled')}</span>}
        </li>
      ))}
    </ul>
  );
}

export function HandoverPage() {
  useStore(book.version);
  const people = useStore(presence.list);
  const now = useNow();
  const [callbacks, setCallbacks] = useState<CallbackRecord[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    callbacksApi.list('pending').then(setCallbacks, (err: unknown) => setError(errorText(err)));
  }, []);
  const all = book.sorted();
  const open = all.filter((a) => a.status === 'open');
  const held = all.filter((a) => a.status !== 'open');
  const holders = [...new Set(held.map((a) => a.acknowledgedBy ?? ''))].sort();
  return (
    <section class="handover-page" aria-labelledby="handover-title">
      <h1 id="handover-title">{t('handover.title')}</h1>
      <section class="card" aria-labelledby="ho-people">
        <h2 id="ho-people">{t('handover.people')}</h2>
        <ul class="presence-list">
          {people.map((p) => (
            <li key={p.username} data-username={p.username} data-presence={p.state}>
              {p.username} · {tValue('role', p.role)} · <span class={`tag presence-${p.state}`}>{t(`presence.${p.state}`)}</span>
            </li>
          ))}
        </ul>
      </section>
      <section class="card" aria-labelledby="ho-open" data-list="open">
        <h2 id="ho-open">{t('handover.open', { n: open.length })}</h2>
        <AlertList alerts={open} />
      </section>
      <section class="card" aria-labelledby="ho-held" data-list="held">
        <h2 id="ho-held">{t('handover.held', { n: held.length })}</h2>
        {holders.length === 0 && <p class="muted">{t('handover.none')}</p>}
        {holders.map((holder) => (
          <div key={holder} data-holder={holder}>
            <h3>{actorName(holder)}</h3>
            <AlertList alerts={held.filter((a) => (a.acknowledgedBy ?? '') === holder)} />
          </div>
        ))}
      </section>
      <section class="card" aria-labelledby="ho-callbacks" data-list="callbacks">
        <h2 id="ho-callbacks">{t('handover.callbacks', { n: callbacks?.length ?? 0 })}</h2>
        {error && <p class="error">{error}</p>}
        {callbacks && <CallbackTable callbacks={callbacks} now={now} />}
      </section>
    </section>
  );
}
