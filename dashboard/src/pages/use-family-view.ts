/**
 * What the family page shows (family-page.tsx): their homes with devices, each
 * home's recent alerts (open ones in full, with who took them, by name) and its
 * door sensors' last open or close. The stream, which carries only their homes,
 * triggers a re-read (coalesced).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api/http.js';
import type { AlertSummary, DeviceView, HomeView, NamedAlert } from '../api/types.js';
import { stream } from '../live/index.js';
import { errorText } from '../util/use-action.js';

export interface FamilyHome extends HomeView {
  devices: DeviceView[];
}

export type ShownAlert = AlertSummary & Partial<Pick<NamedAlert, 'acknowledgedByName' | 'timeline'>>;

export interface View {
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

export function useFamilyView() {
  const [view, setView] = useState<View | undefined>();
  const [error, setError] = useState<string | undefined>();
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

  /** An alert as the hub answered an action on it, unless the page already has a newer one. */
  const replace = (next: NamedAlert) =>
    setView((v) => v && { ...v, alerts: { ...v.alerts, [next.homeId]: (v.alerts[next.homeId] ?? []).map((a) => (a.id === next.id && a.updatedAt <= next.updatedAt ? next : a)) } });

  return { view, error, replace };
}
