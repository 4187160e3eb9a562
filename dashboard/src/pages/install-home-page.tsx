/**
 * One home being installed (issue 5, steps 3–5): register its devices by kind
 * and serial (credentials shown once, with the QR code), watch each device's
 * commissioning checklist tick live as the installer presses the test
 * buttons (connected, heartbeat, each test event; battery and signal), and
 * put the home live — when everything passed, or with an audited reason.
 * Device care (renew, revoke, replace, move) and its heartbeat interval are
 * on each device's card, with the payloads the hub dropped as bad (issue 10,
 * item 13).
 *
 * Live: the stream's `commissioning.tick` ticks a check at once; the
 * checklist is then re-read (battery, signal, last message) — and after a
 * reconnect (`snapshot` or `resumed`: ticks are not replayed) — and also every
 * few seconds while the home is being installed, since telemetry that ticks
 * nothing new still changes the battery and signal shown.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post } from '../api/http.js';
import { DEVICE_KINDS } from '../api/enums.js';
import type { ResidentRecord } from '../api/residents.js';
import type { DeviceChecklist, DeviceView, HomeChecklist, HomeDetail, HomeView, ProvisionedDevice } from '../api/types.js';
import { BadPayloadsFact } from '../components/bad-payloads.js';
import { CredentialsPanel } from '../components/credentials-panel.js';
import { DeviceActions } from '../components/device-actions.js';
import { HeartbeatSetting } from '../components/heartbeat-setting.js';
import { HomeGeoForm } from '../components/home-geo-form.js';
import { HouseholdCard } from '../components/household-card.js';
import { t, tValue } from '../i18n/index.js';
import { stream } from '../live/index.js';
import { href } from '../router.js';
import { Field, FormError, invalid, useFormAction } from '../util/field-errors.js';
import { signalWord } from '../util/commissioning.js';
import { formatAgo } from '../util/format.js';
import { useNow } from '../util/ticker.js';
import { errorText } from '../util/use-action.js';

const POLL_MS = 4_000;

export function checkLabel(id: string): string {
  if (id.startsWith('event:')) return t('check.event', { event: tValue('event', id.slice(6)) });
  return tValue('check', id);
}

function RegisterForm({ homeId, residents, onRegistered }: { homeId: string; residents: ResidentRecord[]; onRegistered(d: ProvisionedDevice): void }) {
  const [kind, setKind] = useState<string>(DEVICE_KINDS[0]);
  const [serial, setSerial] = useState('');
  // A couple's bracelet must say whose it is (issue 13 item 12); the newest resident is the likeliest.
  const [wearer, setWearer] = useState('');
  const askWearer = kind === 'bracelet' && residents.length > 1;
  const residentId = askWearer ? wearer || residents[residents.length - 1]!.id : undefined;
  const { busy, errors, run } = useFormAction((p) => p === 'kind' || p === 'serial' || p === 'residentId');
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const device = await post<ProvisionedDevice>(`/homes/${encodeURIComponent(homeId)}/devices`, { kind, serial, ...(residentId ? { residentId } : {}) });
      setSerial('');
      onRegistered(device);
    });
  };
  return (
    <form class="card register-form" onSubmit={submit} aria-labelledby="register-title" noValidate>
      <h2 id="register-title">{t('register.title')}</h2>
      <div class="form-row">
        <Field label={t('register.kind')} path="kind" errors={errors}>
          <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)} {...invalid(errors, 'kind')}>
            {DEVICE_KINDS.map((k) => (
              <option key={k} value={k}>
                {tValue('deviceKind', k)}
              </option>
            ))}
          </select>
        </Field>
        {askWearer && (
          <Field label={t('household.wornBy')} path="residentId" errors={errors}>
            <select name="residentId" value={residentId} onChange={(e) => setWearer(e.currentTarget.value)} {...invalid(errors, 'residentId')}>
              {residents.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label={t('register.serial')} path="serial" errors={errors} hint={t('register.serialHint')}>
          <input name="serial" value={serial} autoComplete="off" onInput={(e) => setSerial(e.currentTarget.value)} {...invalid(errors, 'serial')} />
        </Field>
        <button type="submit" class="button-primary" data-action="register" disabled={busy}>
          {t('register.submit')}
        </button>
      </div>
      <FormError errors={errors} />
    </form>
  );
}

function DeviceCard({
  device,
  view,
  live,
  homeId,
  homes,
  now,
  onCredentials,
  onChanged,
}: {
  device: DeviceChecklist;
  /** The same device as GET /homes/{id} lists it: its bad payloads. */
  view: DeviceView | undefined;
  live: boolean;
  homeId: string;
  homes: HomeView[];
  now: number;
  onCredentials(d: ProvisionedDevice): void;
  onChanged(): void;
}) {
  const done = device.checks.filter((c) => c.done).length;
  return (
    <li class={`card device-check ${device.passed ? 'is-passed' : ''}`} data-device-id={device.deviceId} data-passed={String(device.passed)} data-kind={device.kind}>
      <div class="dc-head">
        <h3>
          {tValue('deviceKind', device.kind)} <span class="serial">{device.serial}</span>
        </h3>
        <span class={`tag ${device.passed ? 'tag-ok' : 'tag-warn'}`}>{device.passed ? t('check.passed') : t('check.progress', { done, total: device.checks.length })}</span>
      </div>
      <p class="mono muted dc-id">{device.deviceId}</p>
      <ol class="checks" aria-label={t('check.listLabel')}>
        {device.checks.map((c) => (
          <li key={c.id} class={c.done ? 'check-done' : 'check-todo'} data-check={c.id} data-done={String(c.done)}>
            <span class="check-mark" aria-hidden="true">
              {c.done ? '✓' : '○'}
            </span>
            <span class="check-label">{checkLabel(c.id)}</span>
            <span class="visually-hidden">{c.done ? t('check.doneSr') : t('check.todoSr')}</span>
            {c.at && <time class="muted" dateTime={c.at}>{formatAgo(c.at, now)}</time>}
          </li>
        ))}
      </ol>
      <dl class="dc-facts">
        <div>
          <dt>{t('device.battery')}</dt>
          <dd data-field="battery">{device.battery === null ? '—' : `${device.battery}%`}</dd>
        </div>
        <div>
          <dt>{t('check.signal')}</dt>
          <dd data-field="signal">{device.rssi === null ? '—' : `${signalWord(device.rssi)} (${device.rssi} dBm)`}</dd>
        </div>
        <div>
          <dt>{t('check.lastMessage')}</dt>
          <dd data-field="lastMessage">{device.lastMessageAt ? formatAgo(device.lastMessageAt, now) : t('time.never')}</dd>
        </div>
        <BadPayloadsFact device={view} now={now} />
      </dl>
      {!live && !device.passed && <p class="hint">{t(`check.howTo.${device.kind}` as 'check.howTo.bracelet')}</p>}
      <HeartbeatSetting deviceId={device.deviceId} />
      <DeviceActions deviceId={device.deviceId} homeId={homeId} homes={homes} onCredentials={onCredentials} onChanged={onChanged} />
    </li>
  );
}

function GoLive({ checklist, onLive }: { checklist: HomeChecklist; onLive(): void }) {
  const [reason, setReason] = useState('');
  const { busy, errors, run } = useFormAction((p) => p === 'overrideReason');
  const missing = checklist.devices.flatMap((d) => d.checks.filter((c) => !c.done).map((c) => ({ device: d, check: c.id })));
  const go = (overrideReason?: string) =>
    run(async () => {
      await post(`/homes/${encodeURIComponent(checklist.homeId)}/go-live`, overrideReason === undefined ? {} : { overrideReason });
      onLive();
    });
  if (checklist.status === 'live') {
    return (
      <section class="card go-live is-live" aria-labelledby="golive-title" data-home-status="live">
        <h2 id="golive-title">{t('golive.isLive')}</h2>
        <p>{t('golive.isLiveText')}</p>
      </section>
    );
  }
  const ready = checklist.allPassed;
  return (
    <section class="card go-live" aria-labelledby="golive-title" data-home-status="installing">
      <h2 id="golive-title">{t('golive.title')}</h2>
      {ready ? (
        <p class="ok-text">{t('golive.ready')}</p>
      ) : checklist.devices.length === 0 ? (
        <p class="muted">{t('golive.noDevices')}</p>
      ) : (
        <>
          <p>{t('golive.missing', { n: missing.length })}</p>
          <ul class="missing-checks">
            {missing.slice(0, 8).map((m) => (
              <li key={`${m.device.deviceId}-${m.check}`}>
                {tValue('deviceKind', m.device.kind)} {m.device.serial}: {checkLabel(m.check)}
              </li>
            ))}
            {missing.length > 8 && <li>…</li>}
          </ul>
        </>
      )}
      <button type="button" class="button-primary button-big" data-action="go-live" disabled={!ready || busy} onClick={() => void go()}>
        {t('golive.submit')}
      </button>
      {!ready && checklist.devices.length > 0 && (
        <details class="override">
          <summary>{t('golive.override')}</summary>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void go(reason);
            }}
          >
            <Field label={t('golive.reason')} path="overrideReason" errors={errors} hint={t('golive.reasonHint')}>
              <textarea name="overrideReason" rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} {...invalid(errors, 'overrideReason')} />
            </Field>
            <button type="submit" class="button-danger" data-action="go-live-override" disabled={busy}>
              {t('golive.overrideSubmit')}
            </button>
          </form>
        </details>
      )}
      <FormError errors={errors} />
    </section>
  );
}

export function InstallHomePage({ id }: { id: string }) {
  const [home, setHome] = useState<HomeDetail | undefined>();
  const [checklist, setChecklist] = useState<HomeChecklist | undefined>();
  const [homes, setHomes] = useState<HomeView[]>([]);
  const [credentials, setCredentials] = useState<ProvisionedDevice | undefined>();
  const [error, setError] = useState<string | undefined>();
  const now = useNow();
  const soon = useRef<number | undefined>(undefined);
  const path = `/homes/${encodeURIComponent(id)}`;

  const load = useCallback(() => {
    Promise.all([get<HomeDetail>(path), get<HomeChecklist>(`${path}/commissioning`)]).then(
      ([h, c]) => {
        setHome(h);
        setChecklist(c);
        setError(undefined);
      },
      (err: unknown) => setError(err instanceof ApiError && err.status === 404 ? t('install.noSuchHome') : errorText(err)),
    );
  }, [path]);

  const loadSoon = useCallback(() => {
    clearTimeout(soon.current);
    soon.current = window.setTimeout(load, 250);
  }, [load]);

  useEffect(() => {
    load();
    get<{ homes: HomeView[] }>('/homes').then(
      (res) => setHomes(res.homes),
      () => undefined,
    );
    const off = stream.subscribe((m) => {
      if (m.type === 'commissioning.tick' && m.homeId === id) {
        // Tick at once; the re-read brings battery, signal and the last message.
        setChecklist((c) => c && { ...c, devices: c.devices.map((d) => (d.deviceId !== m.deviceId ? d : { ...d, checks: d.checks.map((x) => (x.id === m.check ? { ...x, done: true, at: m.at } : x)) })) });
        loadSoon();
      } else if ((m.type === 'device.status' && m.homeId === id) || m.type === 'snapshot' || m.type === 'resumed') loadSoon();
    });
    return () => {
      off();
      clearTimeout(soon.current);
    };
  }, [id, load, loadSoon]);

  const installing = checklist?.status === 'installing';
  useEffect(() => {
    if (!installing) return;
    const timer = setInterval(load, POLL_MS);
    return () => clearInterval(timer);
  }, [installing, load]);

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
                  <DeviceCard key={d.deviceId} device={d} view={home.devices.find((v) => v.id === d.deviceId)} live={!installing} homeId={home.id} homes={homes} now={now} onCredentials={onCredentials} onChanged={load} />
                ))}
              </ul>
            )}
          </section>
        </div>
        <div class="install-side">
          <HouseholdCard home={home} onChanged={load} />
          <RegisterForm homeId={home.id} residents={home.residents ?? []} onRegistered={onCredentials} />
          <GoLive checklist={checklist} onLive={load} />
          <HomeGeoForm home={home} onSaved={load} />
        </div>
      </div>
    </section>
  );
}
