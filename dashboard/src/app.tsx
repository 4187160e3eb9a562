/**
 * The console: the login page until someone is logged in, then the pages of
 * their role. Operators, supervisors and admins get the shell with the live
 * queue (stream, alarm, notifications); a family member their relative's page
 * (stream and notifications, no alarm); an installer the installation pages
 * (stream for commissioning ticks and device status); a visitor the visits
 * page (no stream: the hub refuses it to visitors). Changing the language
 * re-mounts the tree so every string is redrawn.
 */
import { useEffect } from 'preact/hooks';
import { HANDLER_ROLES } from './api/enums.js';
import { currentUser, refreshSession } from './api/session.js';
import { lang } from './i18n/index.js';
import { startFamilyLive, startInstallerLive } from './live/people.js';
import { hubHealth, startLive } from './live/index.js';
import { LoginPage } from './pages/login-page.js';
import { OtherRolePage } from './pages/other-role-page.js';
import { RoleShell } from './role-shell.js';
import { Shell } from './shell.js';
import { useStore } from './util/use-store.js';

const PEOPLE_ROLES: ReadonlySet<string> = new Set(['family', 'installer', 'visitor']);

function startLiveFor(role: string): (() => void) | undefined {
  if (HANDLER_ROLES.has(role)) return startLive();
  if (role === 'family') return startFamilyLive();
  if (role === 'installer') return startInstallerLive();
  return undefined;
}

/**
 * The role's live services, and for everyone but a family member the hub's
 * health (the red band of components/health-banner.tsx): family members are
 * told by the people who look after their relative, not by a technical banner.
 */
function startFor(role: string): () => void {
  const stopLive = startLiveFor(role);
  if (role !== 'family') hubHealth.start();
  return () => {
    stopLive?.();
    hubHealth.stop();
  };
}

export function App() {
  const user = useStore(currentUser);
  const language = useStore(lang);
  const session = user ? `${user.id}:${user.role}` : undefined;
  useEffect(() => void refreshSession(), []);
  useEffect(() => (user ? startFor(user.role) : undefined), [session]);
  if (!user) return <LoginPage key={language} />;
  if (HANDLER_ROLES.has(user.role)) return <Shell key={language} user={user} />;
  if (PEOPLE_ROLES.has(user.role)) return <RoleShell key={language} user={user} />;
  return <OtherRolePage key={language} user={user} />;
}
