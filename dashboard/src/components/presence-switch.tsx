/**
 * At the desk / away (issue 13 item 7): an away operator hears a new critical
 * alert only when nobody at the desk answered it within 30 s.
 */
import { presenceApi } from '../api/callbacks.js';
import type { User } from '../api/types.js';
import { t } from '../i18n/index.js';
import { presence } from '../live/index.js';
import { useAction } from '../util/use-action.js';
import { useStore } from '../util/use-store.js';

export function PresenceSwitch({ user }: { user: User }) {
  useStore(presence.list);
  const action = useAction();
  const state = presence.of(user.username)?.state ?? 'online';
  const next = state === 'away' ? 'online' : 'away';
  return (
    <button
      type="button"
      class={`presence presence-${state}`}
      data-presence={state}
      title={action.error ?? t(next === 'away' ? 'presence.goAway' : 'presence.goOnline')}
      aria-label={`${t('presence.label')}: ${t(`presence.${state}`)} — ${t(next === 'away' ? 'presence.goAway' : 'presence.goOnline')}`}
      aria-pressed={state === 'away'}
      disabled={action.busy}
      onClick={() => void action.run(async () => void (await presenceApi.set(next)))}
    >
      {t(`presence.${state}`)}
    </button>
  );
}
