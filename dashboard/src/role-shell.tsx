/**
 * The frame for the people around a resident — family, installers, visitors:
 * a slim top bar (their pages, live badge where there is a stream, language,
 * who, log out) and their page. A route that is not theirs goes to their
 * start page.
 */
import { useEffect } from 'preact/hooks';
import type { User } from './api/types.js';
import { ConnectionBadge } from './components/connection-badge.js';
import { HealthBanner } from './components/health-banner.js';
import { LangSwitch } from './components/lang-switch.js';
import { WhoAmI } from './components/who-am-i.js';
import { t } from './i18n/index.js';
import { FamilyPage } from './pages/family-page.js';
import { peoplePage } from './pages/people-pages.js';
import { hasPage, START_PAGE } from './roles.js';
import { href, parseRoute, useRoute, type Route } from './router.js';

function page(route: Route, user: User) {
  switch (route.name) {
    case 'family':
      return <FamilyPage user={user} />;
    default:
      return peoplePage(route, user) ?? <p class="loading">{t('common.loading')}</p>;
  }
}

function skipToMain() {
  document.getElementById('main')?.focus();
}

export function RoleShell({ user }: { user: User }) {
  const route = useRoute();
  const own = route.name !== 'notFound' && hasPage(user.role, route.name);
  // Not one of this role's pages (a bookmark of someone else's, the bare `/`): their start page instead.
  useEffect(() => {
    if (!own) location.replace(START_PAGE[user.role]);
  }, [own, user.role]);
  const shown = own ? route : parseRoute(START_PAGE[user.role]);
  const live = user.role === 'family' || user.role === 'installer';
  return (
    <div class={`shell people-shell role-${user.role}`} data-route={shown.name}>
      <button type="button" class="skip-link" onClick={skipToMain}>
        {t('nav.skip')}
      </button>
      <header class="top-bar people-bar">
        <span class="brand">{t(user.role === 'family' ? 'family.brand' : 'app.title')}</span>
        {user.role === 'installer' && (
          <nav aria-label={t('nav.label')} class="nav">
            <a href={href.install()} class="nav-link" aria-current={shown.name === 'install' || shown.name === 'installHome' ? 'page' : undefined}>
              {t('nav.install')}
            </a>
            <a href={href.installNew()} class="nav-link" aria-current={shown.name === 'installNew' ? 'page' : undefined}>
              {t('install.new')}
            </a>
          </nav>
        )}
        <div class="top-tools">
          {live && <ConnectionBadge />}
          <LangSwitch />
          <WhoAmI user={user} />
        </div>
      </header>
      {/* Shown only while the hub's health is asked for: app.tsx leaves family members out. */}
      <HealthBanner />
      <main id="main" tabIndex={-1}>
        {page(shown, user)}
      </main>
    </div>
  );
}
