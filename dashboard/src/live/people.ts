/**
 * The live services of the people around a resident. A family member gets the
 * stream (the hub sends only their relative's homes) and a notification when
 * an alert for them is raised or resolved while the tab is hidden; no alarm
 * sound. An installer gets the stream for commissioning ticks and device
 * status (the hub sends no alerts to installers). Visitors get no stream.
 */
import type { AlertSummary } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { kindHeadline } from '../util/alert-text.js';
import { book, homes, stream } from './index.js';
import { showIfHidden } from './notifier.js';
import { alertWho } from '../util/who.js';

/** Low (technical) alerts are the installer's business; everything else a relative wants to know at once. */
const FAMILY_NOTIFIED = new Set(['critical', 'high', 'medium']);

function who(alert: AlertSummary): string {
  const home = homes.get(alert.homeId);
  return alertWho(alert, home) ?? home?.name ?? '';
}

export function startFamilyLive(): () => void {
  void homes.refresh();
  const offRaised = book.onRaised((alert) => {
    if (!FAMILY_NOTIFIED.has(alert.severity)) return;
    showIfHidden(`${kindHeadline(alert)} — ${who(alert)}`, t('family.notify.raised'), { tag: alert.id, target: '#/family', urgent: alert.severity === 'critical' });
  });
  const offResolved = stream.subscribe((message) => {
    if (message.type !== 'alert.updated' || message.alert.status !== 'resolved' || !FAMILY_NOTIFIED.has(message.alert.severity)) return;
    const alert = message.alert;
    showIfHidden(`${kindHeadline(alert)} — ${who(alert)}`, t('family.notify.resolved', { outcome: alert.outcome ? tValue('outcome', alert.outcome) : '' }), {
      tag: `${alert.id}:resolved`,
      target: '#/family',
    });
  });
  stream.start();
  return () => {
    stream.stop();
    offRaised();
    offResolved();
    book.clear();
    homes.clear();
  };
}

export function startInstallerLive(): () => void {
  stream.start();
  return () => {
    stream.stop();
    book.clear();
  };
}
