/**
 * The console: the login page until someone is logged in, then the shell with
 * its pages. The live services run while an operator, supervisor or admin is
 * logged in; other roles get a page saying so. Changing the language
 * re-mounts the tree so every string is redrawn.
 */
import { useEffect } from 'preact/hooks';
import { HANDLER_ROLES } from './api/enums.js';
import { currentUser } from './api/session.js';
import { lang } from './i18n/index.js';
import { startLive } from './live/index.js';
import { LoginPage } from './pages/login-page.js';
import { OtherRolePage } from './pages/other-role-page.js';
import { Shell } from './shell.js';
import { useStore } from './util/use-store.js';

export function App() {
  const user = useStore(currentUser);
  const language = useStore(lang);
  const consoleUser = user && HANDLER_ROLES.has(user.role) ? user.id : undefined;
  useEffect(() => (consoleUser ? startLive() : undefined), [consoleUser]);
  if (!user) return <LoginPage key={language} />;
  if (!consoleUser) return <OtherRolePage key={language} user={user} />;
  return <Shell key={language} user={user} />;
}
