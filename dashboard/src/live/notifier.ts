/**
 * Desktop notifications for new urgent alerts while the console's tab is
 * hidden: the operator may be in another window when an SOS comes in.
 * Permission is asked from a user gesture (the login button), as browsers require.
 */
import type { AlertSummary } from '../api/types.js';

export function askNotificationPermission(): void {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission().catch(() => undefined);
}

export function notifyIfHidden(alert: AlertSummary, title: string, body: string): void {
  if (!document.hidden || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  if (alert.severity !== 'critical' && alert.severity !== 'high') return;
  try {
    const n = new Notification(title, { body, tag: alert.id, requireInteraction: alert.severity === 'critical' });
    n.onclick = () => {
      window.focus();
      location.hash = `#/alerts/${encodeURIComponent(alert.id)}`;
      n.close();
    };
  } catch {
    // Some browsers allow notifications only from a service worker; the sound still plays.
  }
}
