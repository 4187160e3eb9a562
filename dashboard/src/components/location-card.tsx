/**
 * Where the wearer is (issue 13 item 4): a room, or a GPS fix with its
 * accuracy, its distance from home and links that open it in the phone's or
 * desktop's own map app — no map tiles are loaded from the internet, so the
 * console stays usable on a locked-down network and leaks no positions to a
 * tile server. The fix's age counts up live; a newer fix (pushed on the
 * stream) restarts it. On a night exit this is the first thing to look at.
 */
import type { Alert } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { Elapsed } from './elapsed.js';

type Fix = NonNullable<Alert['location']>;
type GpsFix = Extract<Fix, { lat: number }>;

/** Metres under 1 km, kilometres with one decimal above: how people say distances. */
export function formatDistance(m: number): string {
  return m < 1000 ? t('location.metres', { n: Math.round(m) }) : t('location.km', { n: (m / 1000).toFixed(1) });
}

/** `geo:` (RFC 5870) opens the device's own map app; OpenStreetMap is the fallback for desktops without one. */
export function mapLinks(fix: GpsFix): { app: string; web: string } {
  const lat = fix.lat.toFixed(6);
  const lon = fix.lon.toFixed(6);
  const uncertainty = fix.accuracyM !== undefined ? `;u=${Math.round(fix.accuracyM)}` : '';
  return { app: `geo:${lat},${lon}${uncertainty}`, web: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}` };
}

function GpsLines({ fix }: { fix: GpsFix }) {
  const links = mapLinks(fix);
  return (
    <>
      <p data-field="coords">
        {fix.lat.toFixed(5)}, {fix.lon.toFixed(5)}
        {fix.accuracyM !== undefined && <span class="muted"> {t('location.accuracy', { n: Math.round(fix.accuracyM) })}</span>}
      </p>
      <p data-field="distance">{fix.distanceM !== undefined ? t('location.fromHome', { distance: formatDistance(fix.distanceM) }) : t('location.noHomeGeo')}</p>
      <p class="location-links">
        <a href={links.app} data-action="open-map-app">
          {t('location.openMapApp')}
        </a>{' '}
        <a href={links.web} target="_blank" rel="noopener noreferrer" referrerpolicy="no-referrer" data-action="open-map-web">
          {t('location.openMapWeb')}
        </a>
      </p>
    </>
  );
}

export function LocationCard({ alert, headingLevel = 2 }: { alert: Pick<Alert, 'id' | 'kind' | 'location' | 'status'>; headingLevel?: 2 | 3 }) {
  const fix = alert.location;
  const wandering = alert.kind === 'night_exit';
  // Nothing to say for a gas alarm in a home without a bracelet; a night exit always says whether there is a fix.
  if (!fix && !wandering) return null;
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const titleId = `location-${alert.id}`;
  return (
    <section class={`card location-card${wandering ? ' is-wandering' : ''}`} aria-labelledby={titleId} data-location={fix ? ('lat' in fix ? 'gps' : 'room') : 'none'}>
      <Heading id={titleId}>{wandering ? t('location.latestFix') : t('location.title')}</Heading>
      {!fix ? (
        <p class="muted">{t('location.none')}</p>
      ) : (
        <>
          {'lat' in fix ? <GpsLines fix={fix} /> : <p data-field="room">{t('location.inRoom', { room: tValue('room', fix.room) })}</p>}
          <p data-field="fix-age">
            {t('location.age')} <Elapsed since={fix.at} class="fix-age" /> {alert.status !== 'resolved' && <span class="muted">{t('location.live')}</span>}
          </p>
        </>
      )}
    </section>
  );
}
