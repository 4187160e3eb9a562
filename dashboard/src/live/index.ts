/**
 * The live services of a logged-in console, one of each: the alert book fed
 * by the stream, the homes directory, the alarm and desktop notifications.
 * Started after login, stopped (and emptied) at logout.
 */
import { t, tValue } from '../i18n/index.js';
import { AlertBook } from './alert-book.js';
import { Alarm } from './alarm.js';
import { HomesDirectory } from './homes-directory.js';
import { notifyIfHidden } from './notifier.js';
import { LiveStream } from './stream.js';
import { alertWho } from '../util/who.js';

export const book = new AlertBook();
export const homes = new HomesDirectory();
export const stream = new LiveStream(book);
export const alarm = new Alarm();

export function startLive(): () => void {
  void homes.refresh();
  const offVersion = book.version.subscribe(() => {
    const alerts = book.sorted();
    alarm.update(alerts);
    for (const alert of alerts) homes.ensure(alert.homeId);
  });
  const offRaised = book.onRaised((alert) => {
    if (alert.severity === 'critical') alarm.newCritical();
    const home = homes.get(alert.homeId);
    const who = alertWho(alert, home) ?? home?.name ?? alert.homeId;
    notifyIfHidden(alert, `${tValue('kind', alert.kind)} — ${who}`, home?.address ?? t('notify.open'));
  });
  // Any click or key unlocks audio (browser autoplay rules); harmless when already unlocked.
  const unlock = () => alarm.unlock();
  window.addEventListener('pointerdown', unlock, true);
  window.addEventListener('keydown', unlock, true);
  stream.start();
  return () => {
    stream.stop();
    offVersion();
    offRaised();
    window.removeEventListener('pointerdown', unlock, true);
    window.removeEventListener('keydown', unlock, true);
    alarm.stop();
    book.clear();
    homes.clear();
  };
}
