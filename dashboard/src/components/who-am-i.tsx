/** Who is logged in, and the way out: the end of every top bar. */
import { logout } from '../api/session.js';
import type { User } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';

export function WhoAmI({ user }: { user: User }) {
  return (
    <>
      <span class="who" title={user.username}>
        {user.displayName} <span class="role">{tValue('role', user.role)}</span>
      </span>
      <button type="button" class="button-quiet" onClick={() => void logout()}>
        {t('nav.logout')}
      </button>
    </>
  );
}
