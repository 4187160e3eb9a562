/**
 * Log in. The button press is also the user gesture browsers need before
 * they allow the alarm's sound and desktop notifications, so both are
 * unlocked here.
 */
import { useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';
import { login } from '../api/session.js';
import { LangSwitch } from '../components/lang-switch.js';
import { t } from '../i18n/index.js';
import { landingHash } from '../roles.js';
import { parseRoute } from '../router.js';
import { alarm } from '../live/index.js';
import { askNotificationPermission } from '../live/notifier.js';

export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    alarm.unlock();
    askNotificationPermission();
    setBusy(true);
    setError(undefined);
    try {
      const user = await login(username.trim(), password);
      // Each role lands on its own start page, or on the page it bookmarked if that is one of its own.
      const target = landingHash(user.role, location.hash, parseRoute);
      if (target !== location.hash) location.hash = target;
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t('login.bad') : err instanceof ApiError && err.status === 429 ? t('login.tooMany') : t('login.failed'));
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div class="login-head">
          <h1 id="login-title">{t('app.title')}</h1>
          <LangSwitch />
        </div>
        <label>
          {t('login.username')}
          <input name="username" autoComplete="username" required autoFocus value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          {t('login.password')}
          <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button-primary" disabled={busy}>
          {busy ? t('login.busy') : t('login.submit')}
        </button>
      </form>
    </main>
  );
}
