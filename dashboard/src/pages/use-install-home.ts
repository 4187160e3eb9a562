/**
 * The data of the install-home page (install-home-page.tsx): the home, its
 * commissioning checklist and the other homes (to move a device to), kept
 * live. The stream's `commissioning.tick` ticks a check at once; the
 * checklist is then re-read (battery, signal, last message), also after a
 * reconnect (`snapshot` or `resumed`: ticks are not replayed), and every few
 * seconds while the home is being installed, since telemetry that ticks
 * nothing new still changes the battery and signal shown.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get } from '../api/http.js';
import type { HomeChecklist, HomeDetail, HomeView } from '../api/types.js';
import { t } from '../i18n/index.js';
import { stream } from '../live/index.js';
import { errorText } from '../util/use-action.js';

const POLL_MS = 4_000;

export function useInstallHome(id: string) {
  const [home, setHome] = useState<HomeDetail | undefined>();
  const [checklist, setChecklist] = useState<HomeChecklist | undefined>();
  const [homes, setHomes] = useState<HomeView[]>([]);
  const [error, setError] = useState<string | undefined>();
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

  return { home, checklist, homes, error, installing, load };
}
