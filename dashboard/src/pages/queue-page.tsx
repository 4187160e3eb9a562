/**
 * The alert queue: every unresolved alert, live, most urgent first then
 * oldest. Rows have a fixed height and the list scrolls inside its own box, so
 * arriving alerts never move the page; the row the operator is on stays put
 * (queue-anchor.ts) and a button says how many unacknowledged alerts came in
 * above. Keyboard: one row is in the Tab order; ↑ ↓ Home End PageUp PageDown
 * move between rows; Enter opens one.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { captureAnchor, hiddenAbove, restoreAnchor } from '../components/queue-anchor.js';
import { QueueRow } from '../components/queue-row.js';
import { currentUser } from '../api/session.js';
import { t } from '../i18n/index.js';
import { book, homes } from '../live/index.js';
import { recordQueueRender } from '../util/perf.js';
import { useStore } from '../util/use-store.js';

type Filter = 'unresolved' | 'open' | 'mine';
const FRESH_MS = 4_000;
const PAGE_ROWS = 10;

function useFreshIds(): ReadonlySet<string> {
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  useEffect(
    () =>
      book.onRaised((alert) => {
        setFresh((s) => new Set(s).add(alert.id));
        setTimeout(() => setFresh((s) => new Set([...s].filter((id) => id !== alert.id))), FRESH_MS);
      }),
    [],
  );
  return fresh;
}

function moveFocus(list: HTMLElement, key: string): boolean {
  const rows = [...list.querySelectorAll<HTMLElement>('[data-alert-id]')];
  if (rows.length === 0) return false;
  const current = rows.findIndex((r) => r === document.activeElement);
  const last = rows.length - 1;
  const target =
    key === 'ArrowDown' ? Math.min(last, current + 1) : key === 'ArrowUp' ? Math.max(0, current - 1) : key === 'Home' ? 0 : key === 'End' ? last : key === 'PageDown' ? Math.min(last, current + PAGE_ROWS) : key === 'PageUp' ? Math.max(0, current - PAGE_ROWS) : -1;
  if (target < 0) return false;
  rows[target]?.focus();
  return true;
}

/** The row that was focused last (it keeps the one Tab stop), followed through focus events on the list. */
function useActiveRow(listRef: { current: HTMLOListElement | null }): string | undefined {
  const [activeId, setActiveId] = useState<string | undefined>();
  useEffect(() => {
    const list = listRef.current;
    if (!list) return;
    const onFocusIn = (e: FocusEvent) => {
      const id = (e.target as HTMLElement).dataset?.alertId;
      if (id) setActiveId(id);
    };
    list.addEventListener('focusin', onFocusIn);
    return () => list.removeEventListener('focusin', onFocusIn);
  }, []);
  return activeId;
}

export function QueuePage() {
  const renderStart = performance.now();
  useStore(book.version);
  useStore(homes.version);
  const [filter, setFilter] = useState<Filter>('unresolved');
  const [above, setAbove] = useState(0);
  const fresh = useFreshIds();
  const listRef = useRef<HTMLOListElement>(null);
  const activeId = useActiveRow(listRef);

  const all = book.sorted();
  const me = `user:${currentUser.get()?.username ?? ''}`;
  const alerts = filter === 'open' ? all.filter((a) => a.status === 'open') : filter === 'mine' ? all.filter((a) => a.acknowledgedBy === me) : all;
  const tabbableId = activeId && alerts.some((a) => a.id === activeId) ? activeId : alerts[0]?.id;

  // Measured during render, while the DOM still shows the previous list.
  const anchor = captureAnchor(listRef.current);
  useLayoutEffect(() => {
    restoreAnchor(listRef.current, anchor);
    setAbove(hiddenAbove(listRef.current));
    recordQueueRender(alerts.length, renderStart, book.lastChangeAt);
  });

  const onKeyDown = (e: KeyboardEvent) => {
    if (listRef.current && moveFocus(listRef.current, e.key)) e.preventDefault();
  };
  const toTop = () => {
    const list = listRef.current;
    if (!list) return;
    list.scrollTop = 0;
    list.querySelector<HTMLElement>('[data-alert-id]')?.focus();
  };

  return (
    <section class="queue-page" aria-labelledby="queue-title">
      <QueueToolbar open={all.filter((a) => a.status === 'open').length} total={all.length} filter={filter} onFilter={setFilter} above={above} onTop={toTop} />
      <QueueHead />
      <ol
        ref={listRef}
        class="queue-list"
        aria-label={t('queue.listLabel')}
        aria-busy={!book.loaded}
        onKeyDown={onKeyDown}
        onScroll={() => setAbove(hiddenAbove(listRef.current))}
      >
        {alerts.map((alert) => (
          <QueueRow key={alert.id} alert={alert} home={homes.get(alert.homeId)} tabbable={alert.id === tabbableId} fresh={fresh.has(alert.id)} />
        ))}
      </ol>
      {book.loaded && alerts.length === 0 && <p class="queue-empty">{t('queue.empty')}</p>}
      {!book.loaded && <p class="queue-empty">{t('queue.loading')}</p>}
    </section>
  );
}

/** The title, the counts, the filter and the "n new above" button. */
function QueueToolbar({ open, total, filter, onFilter, above, onTop }: { open: number; total: number; filter: Filter; onFilter(f: Filter): void; above: number; onTop(): void }) {
  return (
    <div class="queue-toolbar">
      <h1 id="queue-title">{t('queue.title')}</h1>
      <span class="queue-counts" aria-live="polite">
        {t('queue.counts', { open, total })}
      </span>
      <label class="queue-filter">
        {t('queue.show')}{' '}
        <select value={filter} onChange={(e) => onFilter(e.currentTarget.value as Filter)}>
          <option value="unresolved">{t('queue.filter.unresolved')}</option>
          <option value="open">{t('queue.filter.open')}</option>
          <option value="mine">{t('queue.filter.mine')}</option>
        </select>
      </label>
      <button type="button" class={`above-pill${above > 0 ? '' : ' is-hidden'}`} onClick={onTop} aria-hidden={above === 0} tabIndex={above > 0 ? 0 : -1}>
        {t('queue.above', { n: above })}
      </button>
    </div>
  );
}

function QueueHead() {
  return (
    <div class="queue-row queue-head" aria-hidden="true">
      <span>{t('queue.col.severity')}</span>
      <span>{t('queue.col.kind')}</span>
      <span>{t('queue.col.resident')}</span>
      <span>{t('queue.col.home')}</span>
      <span>{t('queue.col.status')}</span>
      <span class="col-age">{t('queue.col.age')}</span>
    </div>
  );
}
