/**
 * One alert: who and where (resident card, devices, readings), what happened
 * (timeline) and what to do (actions). The alert is re-read whenever the
 * stream says it changed, so two operators on the same alert see each other's
 * actions.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { alertsApi } from '../api/alerts.js';
import { HANDLER_ROLES } from '../api/enums.js';
import { get } from '../api/http.js';
import type { Alert, HomeDetail, User } from '../api/types.js';
import { AlertActions } from '../components/alert-actions.js';
import { AlertCommands } from '../components/alert-commands.js';
import { AlertHeader } from '../components/alert-header.js';
import { DeviceList } from '../components/device-list.js';
import { LocationCard } from '../components/location-card.js';
import { ReadingsChart } from '../components/readings-chart.js';
import { ResidentCard } from '../components/resident-card.js';
import { ResponderList } from '../components/responder-list.js';
import { ReviewPanel } from '../components/review-panel.js';
import { Timeline } from '../components/timeline.js';
import { t } from '../i18n/index.js';
import { book } from '../live/index.js';
import { href } from '../router.js';
import { useStore } from '../util/use-store.js';
import { errorText } from '../util/use-action.js';

/**
 * The alert and its home, re-read whenever the live book shows it changed or gone;
 * `accept` takes an action's answer, never stepping back to an older copy.
 */
function useAlert(id: string) {
  const [alert, setAlert] = useState<Alert | undefined>();
  const [home, setHome] = useState<HomeDetail | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  useStore(book.version);

  // Never step back: an action's answer and a re-read may arrive in either order.
  const accept = useCallback((next: Alert) => setAlert((cur) => (cur && cur.updatedAt > next.updatedAt ? cur : next)), []);
  const load = useCallback(() => {
    alertsApi.get(id).then(accept, (err: unknown) => setLoadError(errorText(err)));
  }, [id, accept]);

  useEffect(load, [load]);

  const live = book.get(id);
  useEffect(() => {
    // Every delta for this alert is a new object: two changes within one millisecond (a command
    // delivered, then confirmed) share an updatedAt, so "newer" alone would miss the second.
    if (alert && live && live.updatedAt >= alert.updatedAt) load();
    // Gone from the live book while we think it is open: resolved by someone else.
    if (alert && !live && book.loaded && alert.status !== 'resolved') load();
  }, [live, Boolean(live)]);

  const homeId = alert?.homeId;
  useEffect(() => {
    if (!homeId) return;
    get<HomeDetail>(`/homes/${encodeURIComponent(homeId)}`).then(setHome, () => undefined);
  }, [homeId]);
  return { alert, home, loadError, accept };
}

/** The named resident's own bracelet: a couple has two (issue 13 item 12). */
function braceletOf(home: HomeDetail | undefined, alert: Alert) {
  const bracelets = home?.devices.filter((d) => d.kind === 'bracelet' && !d.revokedAt) ?? [];
  return bracelets.find((d) => alert.residentId !== undefined && d.residentId === alert.residentId) ?? bracelets[0];
}

export function AlertPage({ id, user }: { id: string; user: User }) {
  const { alert, home, loadError, accept } = useAlert(id);
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Keyboard and screen-reader users land on the heading, not at the top of the page.
  const loaded = Boolean(alert);
  useEffect(() => {
    if (loaded) headingRef.current?.focus();
  }, [loaded]);

  if (loadError && !alert) {
    return (
      <section class="panel">
        <h1>{t('alert.notLoaded')}</h1>
        <p class="error" role="alert">
          {loadError}
        </p>
        <a href={href.queue()}>{t('alert.backToQueue')}</a>
      </section>
    );
  }
  if (!alert) return <p class="loading">{t('common.loading')}</p>;

  const canAct = HANDLER_ROLES.has(user.role);
  const bracelet = braceletOf(home, alert);
  return (
    <article class="alert-page" data-alert-id={alert.id} data-status={alert.status}>
      <AlertHeader alert={alert} home={home} headingRef={headingRef} />
      <div class="alert-grid">
        <div class="alert-col">
          <LocationCard alert={alert} />
          <ResidentCard home={home} alert={alert} />
          <DeviceList home={home} />
        </div>
        <div class="alert-col">
          {/* Who is on the way comes first: it is what the next phone call is about. */}
          <ResponderList alert={alert} canAct={canAct} onChange={accept} />
          <AlertCommands alert={alert} home={home} />
          {canAct && <AlertActions alert={alert} home={home} user={user} onChange={accept} />}
          <ReviewPanel alert={alert} user={user} onChange={accept} />
        </div>
        <div class="alert-col">
          <ReadingsChart deviceId={bracelet?.id} />
          <Timeline alert={alert} />
        </div>
      </div>
    </article>
  );
}
