/**
 * Desktop notifications for new urgent alerts while the console's tab is
 * hidden: the operator may be in another window when an SOS comes in, a
 * family member in another app when their mother presses SOS.
 * Permission is asked from a user gesture (the login button, or the family
 * page's "turn on notifications"), as browsers require.
 */
import type { AlertSummary } from '../api/types.js';

export function askNotificationPermission(): void {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission().catch(() => undefined);
}

export type NotificationState = 'unsupported' | NotificationPermission;

export function notificationState(): NotificationState {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Shows a notification if the tab is hidden and the user allowed them; a click brings the tab back on `target`. */
export function showIfHidden(title: string, body: string, opts: { tag: string; target: string; urgent?: boolean }): boolean {
  if (!document.hidden || typeof Notification === 'undefined' || Notification.permission !== 'granted') return false;
  try {
    const n = new Notification(title, { body, tag: opts.tag, requireInteraction: opts.urgent ?? false });
    n.onclick = () => {
      window.focus();
      location.hash = opts.target;
      n.close();
    };
    return true;
  } catch {
    // Some browsers allow notifications only from a service worker; the page still shows it.
    return false;
  }
}

export function notifyIfHidden(alert: AlertSummary, title: string, body: string): void {
  if (alert.severity !== 'critical' && alert.severity !== 'high') return;
  showIfHidden(title, body, { tag: alert.id, target: `#/alerts/${encodeURIComponent(alert.id)}`, urgent: alert.severity === 'critical' });
}
