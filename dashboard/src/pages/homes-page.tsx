/**
 * Every home with its devices' health, live from the stream: search by
 * resident, home, address or community; filter to the homes that need a look.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { HomeView, LiveDevice } from '../api/types.js';
import { BatteryText, OnlineDot } from '../components/device-list.js';
import { t, tValue } from '../i18n/index.js';
import { book, homes } from '../live/index.js';
import { href } from '../router.js';
import { formatAgo } from '../util/format.js';
import { homeHealth, LOW_BATTERY, type HomeHealth } from '../util/home-health.js';
import { useStore } from '../util/use-store.js';
import { useNow } from '../util/ticker.js';

type Filter = 'all' | 'offline' | 'lowBattery' | 'installing' | 'openAlerts';
const FILTERS: Filter[] = ['all', 'offline', 'lowBattery', 'installing', 'openAlerts'];

function matches(home: HomeView, q: string): boolean {
  if (!q) return true;
  const text = [home.name, home.address, home.community, home.resident?.name, home.resident?.phone].filter(Boolean).join(' ').toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .every((word) => text.includes(word));
}

function keep(filter: Filter, home: HomeView, health: HomeHealth, alerts: number): boolean {
  switch (filter) {
    case 'offline':
      return health.offline > 0;
    case 'lowBattery':
      return health.lowestBattery !== null && health.lowestBattery <= LOW_BATTERY;
    case 'installing':
      return home.status === 'installing';
    case 'openAlerts':
      return alerts > 0;
    default:
      return true;
  }
}

function DeviceChips({ devices }: { devices: LiveDevice[] }) {
  return (
    <ul class="device-chips">
      {devices.map((d) => (
        <li key={d.deviceId} class="device-chip">
          {tValue('deviceKind', d.kind ?? '')} <OnlineDot online={d.online} /> <BatteryText battery={d.battery} />
        </li>
      ))}
    </ul>
  );
}

interface Row {
  home: HomeView;
  devices: LiveDevice[];
  health: HomeHealth;
  alerts: number;
}

/** The homes matching the search and the filter, those with offline devices and then alerts first. */
function homeRows(alertsByHome: ReadonlyMap<string, number>, query: string, filter: Filter): Row[] {
  return homes
    .all()
    .map((home) => {
      const devices = book.devicesOf(home.id);
      return { home, devices, health: homeHealth(devices), alerts: alertsByHome.get(home.id) ?? 0 };
    })
    .filter((r) => matches(r.home, query.trim()) && keep(filter, r.home, r.health, r.alerts))
    .sort((a, b) => b.health.offline - a.health.offline || b.alerts - a.alerts || a.home.name.localeCompare(b.home.name));
}

export function HomesPage() {
  useStore(book.version);
  useStore(homes.version);
  const now = useNow();
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState<Filter>('all');
  // Homes created since the console loaded its directory appear when the page is opened.
  useEffect(() => void homes.refresh(), []);

  const alertsByHome = useMemo(() => {
    const counts = new Map<string, number>();
    for (const a of book.sorted()) counts.set(a.homeId, (counts.get(a.homeId) ?? 0) + 1);
    return counts;
  }, [book.version.get()]);

  const rows = homeRows(alertsByHome, query, filter);
  return (
    <section class="homes-page" aria-labelledby="homes-title">
      <div class="page-toolbar">
        <h1 id="homes-title">{t('homes.title')}</h1>
        <label>
          {t('homes.search')}{' '}
          <input type="search" name="q" value={query} onInput={(e) => setQuery(e.currentTarget.value)} placeholder={t('homes.searchHint')} />
        </label>
        <label>
          {t('homes.filter')}{' '}
          <select name="filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value as Filter)}>
            {FILTERS.map((f) => (
              <option key={f} value={f}>
                {t(`homes.filter.${f}`)}
              </option>
            ))}
          </select>
        </label>
        <span class="muted" aria-live="polite">
          {t('homes.count', { n: rows.length, total: homes.all().length })}
        </span>
      </div>
      <div class="table-wrap">
        <HomesTable rows={rows} now={now} />
        {rows.length === 0 && <p class="muted">{t('homes.none')}</p>}
      </div>
    </section>
  );
}

function HomesTable({ rows, now }: { rows: Row[]; now: number }) {
  return (
    <table class="homes">
      <thead>
        <tr>
          <th scope="col">{t('homes.col.resident')}</th>
          <th scope="col">{t('homes.col.home')}</th>
          <th scope="col">{t('homes.col.status')}</th>
          <th scope="col">{t('homes.col.devices')}</th>
          <th scope="col">{t('homes.col.lastSeen')}</th>
          <th scope="col">{t('homes.col.alerts')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ home, devices, health, alerts }) => (
          <tr key={home.id} data-home-id={home.id} class={health.offline > 0 ? 'has-offline' : undefined}>
            <td>{home.resident ? <a href={href.resident(home.resident.id)}>{home.resident.name}</a> : '—'}</td>
            <td>
              {home.name}
              <div class="muted">
                {home.address}
                {home.community ? ` · ${home.community}` : ''}
              </div>
            </td>
            <td>{tValue('homeStatus', home.status)}</td>
            <td>{devices.length > 0 ? <DeviceChips devices={devices} /> : <span class="muted">{t('device.none')}</span>}</td>
            <td>{formatAgo(health.lastSeen, now)}</td>
            <td>{alerts > 0 ? <a href={`#/queue`}>{alerts}</a> : '0'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
