/**
 * The live services of a logged-in console, one of each: the alert book fed
 * by the stream, the homes directory, the alarm and desktop notifications.
 * Started after login, stopped (and emptied) at logout.
 */
import { t, tValue } from '../i18n/index.js';
import { kindHeadline } from '../util/alert-text.js';
import { AlertBook } from './alert-book.js';
import { Alarm } from './alarm.js';
import { HomesDirectory } from './homes-directory.js';
import { notifyIfHidden, showIfHidden } from './notifier.js';
import { LiveStream } from './stream.js';
import { HubHealth } from './hub-health.js';
import { PresenceBook } from './presence.js';
import { currentUser } from '../api/session.js';
import type { AlertSummary, StreamMessage } from '../api/types.js';
import { onTick } from '../util/ticker.js';
import { ringsFor } from '../util/who-hears.js';
import { alertWho } from '../util/who.js';

export const book = new AlertBook();
export const homes = new HomesDirectory();
export const stream = new LiveStream(book);
export const alarm = new Alarm();
export const presence = new PresenceBook();
export const hubHealth = new HubHealth();

/** What rings on this console now (util/who-hears.ts): re-checked on every change and every second. */
function ring(): void {
  const user = currentUser.get();
  const now = Date.now();
  const list = presence.list.get();
  alarm.update(book.sorted(), (alert: AlertSummary) => (user ? ringsFor(alert, user, list, now) : alert.severity === 'critical' && alert.status === 'open'));
}

/** A stalled alert this console rings for also gets a desktop notification while the tab is hidden (once per stage). */
function notifyStalled(): (message: StreamMessage) => void {
  const told = new Set<string>();
  return (message) => {
    if (message.type !== 'alert.updated' || !message.alert.flags.stalled) return;
    const { alert } = message;
    const user = currentUser.get();
    const key = `${alert.id}:${alert.flags.stalled}`;
    if (!user || told.has(key) || !ringsFor(alert, user, presence.list.get(), Date.now())) return;
    told.add(key);
    const home = homes.get(alert.homeId);
    showIfHidden(`${tValue('kind', alert.kind)} — ${t('queue.stalled')}`, alertWho(alert, home) ?? home?.address ?? t('notify.open'), { tag: key, target: `#/alerts/${encodeURIComponent(alert.id)}`, urgent: true });
  };
}

export function startLive(): () => void {
  void homes.refresh();
  const offVersion = book.version.subscribe(() => {
    ring();
    for (const alert of book.sorted()) homes.ensure(alert.homeId);
  });
  const offPresence = stream.subscribe((message) => presence.apply(message));
  const offStalled = stream.subscribe(notifyStalled());
  const offPresenceRing = presence.list.subscribe(ring);
  const offTick = onTick(ring);
  const offRaised = book.onRaised((alert) => {
    if (alert.severity === 'critical') alarm.newCritical();
    const home = homes.get(alert.homeId);
    const who = alertWho(alert, home) ?? home?.name ?? alert.homeId;
    notifyIfHidden(alert, `${kindHeadline(alert)} — ${who}`, home?.address ?? t('notify.open'));
  });
  // Any click or key unlocks audio (browser autoplay rules); harmless when already unlocked.
  const unlock = () => alarm.unlock();
  window.addEventListener('pointerdown', unlock, true);
  window.addEventListener('keydown', unlock, true);
  stream.start();
  return () => {
    stream.stop();
    offVersion();
    offPresence();
    offStalled();
    offPresenceRing();
    offTick();
    offRaised();
    window.removeEventListener('pointerdown', unlock, true);
    window.removeEventListener('keydown', unlock, true);
    alarm.stop();
    book.clear();
    homes.clear();
    presence.clear();
  };
}
