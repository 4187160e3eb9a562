/**
 * Shown to a logged-in installer, visitor or family member: their own pages
 * are not part of this console yet, and the operator pages are not theirs.
 */
import type { User } from '../api/types.js';
import { logout } from '../api/session.js';
import { LangSwitch } from '../components/lang-switch.js';
import { t, tValue } from '../i18n/index.js';

export function OtherRolePage({ user }: { user: User }) {
  return (
    <main class="login" id="main">
      <section class="login-card" data-page="not-allowed">
        <div class="login-head">
          <h1>{t('app.title')}</h1>
          <LangSwitch />
        </div>
        <p>
          {user.displayName} ({tValue('role', user.role)})
        </p>
        <p>{t('console.notForRole')}</p>
        <button type="button" onClick={() => void logout()}>
          {t('nav.logout')}
        </button>
      </section>
    </main>
  );
}
