/**
 * A family member's page (issue 5): their relative's home only — whether
 * every device is fine (and which is not), the last sign of life, the alerts
 * now and lately with what is being done (who took it, who is on the way),
 * and one big "I'm on my way". Mobile-first, large type, high contrast. Live:
 * the stream (which carries only their homes) triggers a re-read.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post } from '../api/http.js';
import type { AlertSummary, DeviceView, HomeView, NamedAlert, Responder, User } from '../api/types.js';
import { BatteryText, OnlineDot } from '../components/device-list.js';
import { DrillTag } from '../components/drill-tag.js';
import { ElderModeSwitch, elderMode } from '../components/elder-mode.js';
import { LocationCard } from '../components/location-card.js';
import { t, tValue } from '../i18n/index.js';
import { book, stream } from '../live/index.js';
import { askNotificationPermission, notificationState } from '../live/notifier.js';
import { formatAgo, formatDateTime, formatTime } from '../util/format.js';
import { LOW_BATTERY } from '../util/home-health.js';
import { useNow } from '../util/ticker.js';
import { alertWho } from '../util/who.js';
import { errorText } from '../util/use-action.js';
import { useStore } from '../util/use-store.js';

interface FamilyHome extends HomeView {
  devices: DeviceView[];
}

type ShownAlert = AlertSummary & Partial<Pick<NamedAlert, 'acknowledgedByName' | 'timeline'>>;

interface View {
  homes: FamilyHome[];
  alerts: Record<string, ShownAlert[]>;
  /** Door sensors' last open/close: a sign the resident moves about. */
  doors: Record<string, { type: string; at: string } | null>;
}

const RECENT = 8;

async function loadView(): Promise<View> {
  const { homes } = await get<{ homes: FamilyHome[] }>('/homes?include=devices');
  const alerts: Record<string, ShownAlert[]> = {};
  const doors: View['doors'] = {};
  await Promise.all(
    homes.map(async (home) => {
      const list = await get<{ alerts: AlertSummary[] }>(`/alerts?homeId=${encodeURIComponent(home.id)}&limit=${RECENT}`);
      // Open alerts in full: who acknowledged them, by name.
      alerts[home.id] = await Promise.all(
        list.alerts.map((a) => (a.status === 'resolved' ? Promise.resolve<ShownAlert>(a) : get<NamedAlert>(`/alerts/${encodeURIComponent(a.id)}`).catch(() => a))),
      );
      for (const door of home.devices.filter((d) => d.kind === 'door_sensor' && !d.revokedAt)) {
        const detail = await get<{ lastEvent: { type: string; at: string } | null }>(`/devices/${encodeURIComponent(door.id)}`).catch(() => undefined);
        doors[door.id] = detail?.lastEvent ?? null;
      }
    }),
  );
  return { homes, alerts, doors };
}

/** The home's devices with the stream's newer state on top. */
function liveDevices(home: FamilyHome): DeviceView[] {
  return home.devices
    .filter((d) => !d.revokedAt)
    .map((d) => {
      const s = book.device(d.id);
      if (!s) return d;
      const seen = s.lastSeen ? new Date(s.lastSeen).toISOString() : null;
      return { ...d, online: s.online ?? d.online, battery: s.battery ?? d.battery, lastSeen: seen && (!d.lastSeen || seen > d.lastSeen) ? seen : d.lastSeen };
    });
}

function HomeStatus({ home, doors, now }: { home: FamilyHome; doors: View['doors']; now: number }) {
  const devices = liveDevices(home);
  const offline = devices.filter((d) => d.online === false);
  const low = devices.filter((d) => d.online !== false && d.battery !== null && d.battery <= LOW_BATTERY);
  const waiting = devices.filter((d) => d.online === null).length;
  const ok = devices.length > 0 && offline.length === 0 && low.length === 0 && waiting === 0;
  const heading =
    devices.length === 0 ? t('family.noDevices') : ok ? t('family.allFine') : offline.length + low.length > 0 ? t('family.needsLook') : t('family.waiting', { n: waiting });
  const lastSeen = devices.reduce<string | null>((m, d) => (d.lastSeen && (!m || d.lastSeen > m) ? d.lastSeen : m), null);
  const door = Object.entries(doors)
    .filter(([id, e]) => e && devices.some((d) => d.id === id) && (e.type === 'open' || e.type === 'close'))
    .map(([, e]) => e!)
    .sort((a, b) => b.at.localeCompare(a.at))[0];
  return (
    <section class={`family-status ${ok ? 'is-ok' : 'is-attention'}`} aria-labelledby={`status-${home.id}`} data-status={ok ? 'ok' : 'attention'}>
      <h2 id={`status-${home.id}`} class="family-status-head">
        {heading}
      </h2>
      {offline.length > 0 && (
        <ul class="family-problems">
          {offline.map((d) => (
            <li key={d.id} data-device-id={d.id}>
              {t('family.deviceOffline', { device: tValue('deviceKind', d.kind), ago: formatAgo(d.lastSeen, now) })}
            </li>
          ))}
        </ul>
      )}
      {low.length > 0 && (
        <ul class="family-problems">
          {low.map((d) => (
            <li key={d.id} data-device-id={d.id}>
              {t('family.deviceLowBattery', { device: tValue('deviceKind', d.kind), battery: d.battery ?? 0 })}
            </li>
          ))}
        </ul>
      )}
      <p class="family-last">
        {door ? t('family.lastDoor', { ago: formatAgo(door.at, now) }) + ' · ' : ''}
        {t('family.lastSign', { ago: formatAgo(lastSeen, now) })}
      </p>
      <details class="family-devices">
        <summary>{t('family.devices', { n: devices.length })}</summary>
        <ul>
          {devices.map((d) => (
            <li key={d.id} data-device-id={d.id}>
              <span>{tValue('deviceKind', d.kind)}</span> <OnlineDot online={d.online} /> <BatteryText battery={d.battery} />
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}

function statusLine(alert: ShownAlert): string {
  switch (alert.status) {
    case 'open':
      return t('family.state.open');
    case 'acknowledged':
      return t('family.state.acknowledged', { who: alert.acknowledgedByName ?? t('family.anOperator') });
    case 'dispatched':
      return t('family.state.dispatched', { who: alert.acknowledgedByName ?? t('family.anOperator') });
    case 'resolved':
      return t('family.state.resolved', { outcome: alert.outcome ? tValue('outcome', alert.outcome) : '' });
  }
}

function ResponderLine({ r, me }: { r: Responder; me: boolean }) {
  return (
    <li class="family-responder" data-state={r.state} data-kind={r.kind}>
      <span class="fr-who">
        {tValue('responder', r.kind)}: <strong>{me ? t('family.you') : r.name}</strong>
      </span>{' '}
      <span class={`tag state-${r.state}`}>{tValue('responderState', r.state)}</span>{' '}
      <span class="muted">{formatTime(r.updatedAt)}</span>
    </li>
  );
}

function AlertCard({ alert, user, onChange, now, who }: { alert: ShownAlert; user: User; onChange(a: NamedAlert): void; now: number; who?: string | undefined }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const actor = `user:${user.username}`;
  const mine = alert.responders.some((r) => r.addedBy === actor && r.state !== 'done');
  const open = alert.status !== 'resolved';
  const onMyWay = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onChange(await post<NamedAlert>(`/alerts/${encodeURIComponent(alert.id)}/on-my-way`, {}));
    } catch (err) {
      // 409 "already on your way" (another of their devices pressed it): show it as pressed.
      setError(err instanceof ApiError && err.status === 409 ? err.message : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class={`family-alert sev-${alert.severity}`} data-alert-id={alert.id} data-status={alert.status}>
      <div class="fa-head">
        <span class={`sev-badge sev-${alert.severity}`}>{tValue('severity', alert.severity)}</span>
        <strong class="fa-kind">{tValue('kind', alert.kind)}</strong>
        <DrillTag alert={alert} />
        {who && <span class="fa-who">{who}</span>}
        <time dateTime={alert.raisedAt} title={formatDateTime(alert.raisedAt)}>
          {open ? formatAgo(alert.raisedAt, now) : formatDateTime(alert.raisedAt)}
        </time>
      </div>
      <p class="fa-state" data-field="state">
        {statusLine(alert)}
      </p>
      {open && <LocationCard alert={alert} headingLevel={3} />}
      {alert.responders.length > 0 && (
        <ul class="family-responders" aria-label={t('family.responders')}>
          {alert.responders.map((r) => (
            <ResponderLine key={r.id} r={r} me={r.addedBy === actor} />
          ))}
        </ul>
      )}
      {open && (
        <button type="button" class="button-primary button-huge" data-action="on-my-way" disabled={busy || mine} aria-pressed={mine} onClick={() => void onMyWay()}>
          {mine ? t('family.onMyWayDone') : busy ? t('family.onMyWayBusy') : t('family.onMyWay')}
        </button>
      )}
      {open && !mine && <p class="hint">{t('family.onMyWayHint')}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

function NotificationsOffer() {
  const [state, setState] = useState(notificationState());
  if (state === 'granted' || state === 'unsupported') return null;
  if (state === 'denied') return <p class="muted family-notify">{t('family.notifyBlocked')}</p>;
  return (
    <p class="family-notify">
      <button
        type="button"
        data-action="enable-notifications"
        onClick={() => {
          askNotificationPermission();
          // requestPermission answers asynchronously; check again shortly.
          setTimeout(() => setState(notificationState()), 500);
        }}
      >
        {t('family.notifyEnable')}
      </button>
    </p>
  );
}

export function FamilyPage({ user }: { user: User }) {
  const [view, setView] = useState<View | undefined>();
  const [error, setError] = useState<string | undefined>();
  useStore(book.version);
  const elder = useStore(elderMode);
  const now = useNow();
  const timer = useRef<number | undefined>(undefined);

  const load = useCallback(() => {
    loadView().then(
      (v) => (setView(v), setError(undefined)),
      (err: unknown) => setError(errorText(err)),
    );
  }, []);

  useEffect(() => {
    load();
    // Any alert or device news for their homes: read the page again (coalesced).
    const off = stream.subscribe((m) => {
      if (m.type !== 'snapshot' && m.type !== 'resumed' && m.type !== 'alert.raised' && m.type !== 'alert.updated') return;
      clearTimeout(timer.current);
      timer.current = window.setTimeout(load, 150);
    });
    return () => {
      off();
      clearTimeout(timer.current);
    };
  }, [load]);

  const replace = (next: NamedAlert) =>
    setView((v) => v && { ...v, alerts: { ...v.alerts, [next.homeId]: (v.alerts[next.homeId] ?? []).map((a) => (a.id === next.id && a.updatedAt <= next.updatedAt ? next : a)) } });

  if (!view) {
    return error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : (
      <p class="loading">{t('common.loading')}</p>
    );
  }
  return (
    <div class={`family-page${elder ? ' elder-mode' : ''}`} data-page="family" data-elder={elder ? 'on' : 'off'}>
      <ElderModeSwitch />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {view.homes.length === 0 && <p class="family-empty">{t('family.noHome')}</p>}
      {view.homes.map((home) => {
        const alerts = view.alerts[home.id] ?? [];
        const open = alerts.filter((a) => a.status !== 'resolved');
        const recent = alerts.filter((a) => a.status === 'resolved');
        // A couple: both names in the heading, and each alert says whom it is about (issue 13 item 12).
        const couple = (home.residents ?? []).length > 1;
        return (
          <article key={home.id} class="family-home" data-home-id={home.id} aria-labelledby={`home-${home.id}`}>
            <header class="family-head">
              <h1 id={`home-${home.id}`}>{couple ? home.residents.map((r) => r.name).join(' & ') : (home.resident?.name ?? home.name)}</h1>
              <p class="muted">{home.address}</p>
            </header>
            <HomeStatus home={home} doors={view.doors} now={now} />
            <section aria-labelledby={`open-${home.id}`} class="family-section">
              <h2 id={`open-${home.id}`}>{t('family.openAlerts', { n: open.length })}</h2>
              {open.length === 0 ? (
                <p class="family-calm">{t('family.noOpenAlerts')}</p>
              ) : (
                <ul class="family-alerts" aria-live="polite">
                  {open.map((a) => (
                    <AlertCard key={a.id} alert={a} user={user} onChange={replace} now={now} who={couple ? alertWho(a, home) : undefined} />
                  ))}
                </ul>
              )}
            </section>
            {recent.length > 0 && !elder && (
              <section aria-labelledby={`recent-${home.id}`} class="family-section">
                <h2 id={`recent-${home.id}`}>{t('family.recentAlerts')}</h2>
                <ul class="family-alerts is-recent">
                  {recent.map((a) => (
                    <AlertCard key={a.id} alert={a} user={user} onChange={replace} now={now} who={couple ? alertWho(a, home) : undefined} />
                  ))}
                </ul>
              </section>
            )}
          </article>
        );
      })}
      <NotificationsOffer />
    </div>
  );
}
