/**
 * One home being installed (issue 5, steps 3–5): register its devices by kind
 * and serial (credentials shown once, with the QR code), watch each device's
 * commissioning checklist tick live as the installer presses the test
 * buttons (connected, heartbeat, each test event; battery and signal), and
 * put the home live — when everything passed, or with an audited reason.
 * Device care (renew, revoke, replace, move) and its heartbeat interval are
 * on each device's card, with the payloads the hub dropped as bad (issue 10,
 * item 13). How the page stays live: use-install-home.ts.
 */
import { useState } from 'preact/hooks';
import type { ProvisionedDevice } from '../api/types.js';
import { CredentialsPanel } from '../components/credentials-panel.js';
import { DeviceCheckCard } from '../components/device-check-card.js';
import { GoLive } from '../components/go-live.js';
import { HomeGeoForm } from '../components/home-geo-form.js';
import { HouseholdCard } from '../components/household-card.js';
import { RegisterDeviceForm } from '../components/register-device-form.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { useNow } from '../util/ticker.js';
import { useInstallHome } from './use-install-home.js';

export function InstallHomePage({ id }: { id: string }) {
  const { home, checklist, homes, error, installing, load } = useInstallHome(id);
  const [credentials, setCredentials] = useState<ProvisionedDevice | undefined>();
  const now = useNow();

  if (error && !home) {
    return (
      <section class="panel">
        <h1>{error}</h1>
        <a href={href.install()}>{t('install.back')}</a>
      </section>
    );
  }
  if (!home || !checklist) return <p class="loading">{t('common.loading')}</p>;

  const onCredentials = (d: ProvisionedDevice) => {
    setCredentials(d);
    load();
  };
  return (
    <section class="install-home" data-page="install-home" data-home-id={home.id} data-status={checklist.status} aria-labelledby="home-title">
      <p>
        <a href={href.install()}>{t('install.back')}</a>
      </p>
      <header class="install-head">
        <h1 id="home-title">{home.name}</h1>
        <span class={`tag home-${checklist.status}`}>{tValue('homeStatus', checklist.status)}</span>
        <p class="muted">
          {(home.residents ?? []).length > 0 ? `${home.residents.map((r) => r.name).join(' & ')} · ` : ''}
          {home.address}
          {home.community ? ` · ${home.community}` : ''}
        </p>
      </header>
      {credentials && <CredentialsPanel device={credentials} onDone={() => setCredentials(undefined)} />}
      <div class="install-grid">
        <div class="install-main">
          <section aria-labelledby="checklist-title">
            <h2 id="checklist-title">{t('check.title')}</h2>
            {checklist.devices.length === 0 ? (
              <p class="muted">{t('check.none')}</p>
            ) : (
              <ul class="device-checks">
                {checklist.devices.map((d) => (
                  <DeviceCheckCard key={d.deviceId} device={d} view={home.devices.find((v) => v.id === d.deviceId)} live={!installing} homeId={home.id} homes={homes} now={now} onCredentials={onCredentials} onChanged={load} />
                ))}
              </ul>
            )}
          </section>
        </div>
        <div class="install-side">
          <HouseholdCard home={home} onChanged={load} />
          <RegisterDeviceForm homeId={home.id} residents={home.residents ?? []} onRegistered={onCredentials} />
          <GoLive checklist={checklist} onLive={load} />
          <HomeGeoForm home={home} onSaved={load} />
        </div>
      </div>
    </section>
  );
}
