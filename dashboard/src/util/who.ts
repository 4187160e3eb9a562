/**
 * Whom an alert is about (issue 13 item 12, couples): the resident it names,
 * or — a shared device's alarm in a home with several residents — the home,
 * with everyone who lives there.
 */
import type { ResidentRecord } from '../../../hub/registry/records.js';
import type { AlertSummary, Contact, HomeView } from '../api/types.js';

export function alertResident(alert: Pick<AlertSummary, 'residentId'>, home: HomeView | undefined): ResidentRecord | undefined {
  if (!home) return undefined;
  const residents = home.residents ?? (home.resident ? [home.resident] : []);
  if (alert.residentId !== undefined) return residents.find((r) => r.id === alert.residentId) ?? (home.resident?.id === alert.residentId ? home.resident : undefined);
  return residents.length > 1 ? undefined : (home.resident ?? undefined);
}

/** Everyone who lives in the home, by name ("Wang Fang & Li Wei"); undefined for a home without residents. */
export function residentNames(home: HomeView): string | undefined {
  const names = (home.residents ?? (home.resident ? [home.resident] : [])).map((r) => r.name);
  return names.length > 0 ? names.join(' & ') : undefined;
}

/**
 * Whom to call about an alert, in order: its resident's contacts, or for a
 * couple's home alarm both residents' — each person once (their children are
 * often both residents' contacts).
 */
export function alertContacts(alert: Pick<AlertSummary, 'residentId'>, home: HomeView | undefined): Contact[] {
  if (!home) return [];
  const resident = alertResident(alert, home);
  if (resident) return resident.contacts;
  const seen = new Set<string>();
  return (home.residents ?? []).flatMap((r) => r.contacts).filter((c) => !seen.has(c.phone) && Boolean(seen.add(c.phone)));
}

/** A name for lists and notifications: the resident, or the home's residents together ("Wang Fang & Li Wei"). */
export function alertWho(alert: Pick<AlertSummary, 'residentId'>, home: HomeView | undefined): string | undefined {
  const resident = alertResident(alert, home);
  if (resident) return resident.name;
  return home ? residentNames(home) : undefined;
}
