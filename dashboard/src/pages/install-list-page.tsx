/**
 * An installer's start page: the homes being installed first (with how many
 * devices passed commissioning so far), then the live ones, and "new home".
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api/http.js';
import type { DeviceView, HomeView } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { errorText } from '../util/use-action.js';
import { residentNames } from '../util/who.js';

type Row = HomeView & { devices: DeviceView[] };

export function InstallListPage() {
  const [homes, setHomes] = useState<Row[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [query, setQuery] = useState('');
  useEffect(() => {
    get<{ homes: Row[] }>('/homes?include=devices').then(
      (res) => setHomes(res.homes),
      (err: unknown) => setError(errorText(err)),
    );
  }, []);
  return (
    <section class="install-list" data-page="install-list" aria-labelledby="install-title">
      <div class="page-toolbar">
        <h1 id="install-title">{t('install.title')}</h1>
        <a class="button-link button-primary" href={href.installNew()} data-action="new-home">
          {t('install.new')}
        </a>
        <label>
          {t('homes.search')} <input type="search" name="q" value={query} onInput={(e) => setQuery(e.currentTarget.value)} placeholder={t('homes.searchHint')} />
        </label>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!homes && !error && <p class="loading">{t('common.loading')}</p>}
      {homes && <InstallHomesTable rows={installRows(homes, query)} />}
    </section>
  );
}

/** The homes matching the search, those being installed first, newest first within each. */
function installRows(homes: Row[], query: string): Row[] {
  const q = query.trim().toLowerCase();
  return homes
    .filter((h) => !q || [h.name, h.address, h.community, residentNames(h)].filter(Boolean).join(' ').toLowerCase().includes(q))
    .sort((a, b) => (a.status === b.status ? b.createdAt.localeCompare(a.createdAt) : a.status === 'installing' ? -1 : 1));
}

function InstallHomesTable({ rows }: { rows: Row[] }) {
  return (
    <div class="table-wrap">
      <table class="homes install-homes">
        <thead>
          <tr>
            <th scope="col">{t('homes.col.home')}</th>
            <th scope="col">{t('homes.col.resident')}</th>
            <th scope="col">{t('homes.col.status')}</th>
            <th scope="col">{t('homes.col.devices')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((h) => {
            const devices = h.devices.filter((d) => !d.revokedAt);
            return (
              <tr key={h.id} data-home-id={h.id} data-status={h.status}>
                <td>
                  <a href={href.installHome(h.id)}>{h.name}</a>
                  <div class="muted">
                    {h.address}
                    {h.community ? ` · ${h.community}` : ''}
                  </div>
                </td>
                <td>{residentNames(h) ?? '—'}</td>
                <td>
                  <span class={`tag home-${h.status}`}>{tValue('homeStatus', h.status)}</span>
                </td>
                <td>{devices.length === 0 ? <span class="muted">{t('device.none')}</span> : devices.map((d) => tValue('deviceKind', d.kind)).join(', ')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length === 0 && <p class="muted pad">{t('homes.none')}</p>}
    </div>
  );
}
