/**
 * A family member's page (issue 5): their relative's home only — whether
 * every device is fine (and which is not), the last sign of life, the alerts
 * now and lately with what is being done (who took it, who is on the way),
 * and one big "I'm on my way". Mobile-first, large type, high contrast. Live:
 * the stream (which carries only their homes) triggers a re-read.
 */
import { useState } from 'preact/hooks';
import type { DeviceView, NamedAlert, User } from '../api/types.js';
import { BatteryText, OnlineDot } from '../components/device-list.js';
import { ElderModeSwitch, elderMode } from '../components/elder-mode.js';
import { FamilyAlertCard } from '../components/family-alert-card.js';
import { t, tValue } from '../i18n/index.js';
import { book } from '../live/index.js';
import { askNotificationPermission, notificationState } from '../live/notifier.js';
import { formatAgo } from '../util/format.js';
import { LOW_BATTERY } from '../util/home-health.js';
import { useNow } from '../util/ticker.js';
import { alertWho } from '../util/who.js';
import { useStore } from '../util/use-store.js';
import { useFamilyView, type FamilyHome, type ShownAlert, type View } from './use-family-view.js';

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
  const { view, error, replace } = useFamilyView();
  useStore(book.version);
  const elder = useStore(elderMode);
  const now = useNow();

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
      {view.homes.map((home) => (
        <FamilyHomeArticle key={home.id} home={home} view={view} user={user} elder={elder} now={now} onChange={replace} />
      ))}
      <NotificationsOffer />
    </div>
  );
}

/** One of their homes: its status, the open alerts, and (not in elder mode) the recent ones. */
function FamilyHomeArticle({ home, view, user, elder, now, onChange }: { home: FamilyHome; view: View; user: User; elder: boolean; now: number; onChange(a: NamedAlert): void }) {
  const alerts = view.alerts[home.id] ?? [];
  const open = alerts.filter((a) => a.status !== 'resolved');
  const recent = alerts.filter((a) => a.status === 'resolved');
  // A couple: both names in the heading, and each alert says whom it is about (issue 13 item 12).
  const couple = (home.residents ?? []).length > 1;
  const card = (a: ShownAlert) => <FamilyAlertCard key={a.id} alert={a} user={user} onChange={onChange} now={now} who={couple ? alertWho(a, home) : undefined} />;
  return (
    <article class="family-home" data-home-id={home.id} aria-labelledby={`home-${home.id}`}>
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
            {open.map(card)}
          </ul>
        )}
      </section>
      {recent.length > 0 && !elder && (
        <section aria-labelledby={`recent-${home.id}`} class="family-section">
          <h2 id={`recent-${home.id}`}>{t('family.recentAlerts')}</h2>
          <ul class="family-alerts is-recent">{recent.map(card)}</ul>
        </section>
      )}
    </article>
  );
}
