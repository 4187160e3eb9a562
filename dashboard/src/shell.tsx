/** The logged-in frame: top bar, then the page the hash names. */
import type { User } from './api/types.js';
import { AUDIT_ROLES } from './api/enums.js';
import { TopBar } from './components/top-bar.js';
import { SoundBanner } from './components/sound-banner.js';
import { HealthBanner } from './components/health-banner.js';
import { TitleCount } from './components/title-count.js';
import { t } from './i18n/index.js';
import { AlertPage } from './pages/alert-page.js';
import { AuditPage } from './pages/audit-page.js';
import { CallbacksPage } from './pages/callbacks-page.js';
import { HandoverPage } from './pages/handover-page.js';
import { DrillsPage } from './pages/drills-page.js';
import { HomesPage } from './pages/homes-page.js';
import { ReportsPage } from './pages/reports-page.js';
import { hasPage } from './roles.js';
import { NotAllowed } from './pages/not-allowed.js';
import { peoplePage } from './pages/people-pages.js';
import { QueuePage } from './pages/queue-page.js';
import { adminPage } from './pages/admin/admin-pages.js';
import { ResidentPage } from './pages/resident-page.js';
import { useRoute, type Route } from './router.js';

function page(route: Route, user: User) {
  if (!hasPage(user.role, route.name)) return <NotAllowed />;
  switch (route.name) {
    case 'queue':
      return <QueuePage />;
    case 'alert':
      return <AlertPage key={route.id} id={route.id} user={user} />;
    case 'homes':
      return <HomesPage />;
    case 'audit':
      return AUDIT_ROLES.has(user.role) ? <AuditPage /> : <NotAllowed />;
    case 'reports':
      return <ReportsPage />;
    case 'callbacks':
      return <CallbacksPage />;
    case 'handover':
      return <HandoverPage />;
    case 'install':
    case 'installNew':
    case 'installHome':
    case 'visits':
      return peoplePage(route, user);
    case 'adminUsers':
    case 'adminWebhooks':
    case 'adminData':
      return adminPage(route);
    case 'resident':
      return <ResidentPage key={route.id} id={route.id} user={user} />;
    case 'drills':
      return <DrillsPage user={user} id={route.id} />;
    case 'family':
      return <NotAllowed />;
    case 'notFound':
      return (
        <section class="panel">
          <h1>{t('notFound.title')}</h1>
          <p>
            <a href="#/queue">{t('notFound.back')}</a>
          </p>
        </section>
      );
  }
}

/** Moves focus past the top bar; a button, since a `#main` link would change the route. */
function skipToMain() {
  document.getElementById('main')?.focus();
}

export function Shell({ user }: { user: User }) {
  const route = useRoute();
  return (
    <div class="shell" data-route={route.name}>
      <button type="button" class="skip-link" onClick={skipToMain}>
        {t('nav.skip')}
      </button>
      <TopBar user={user} route={route} />
      <HealthBanner />
      <SoundBanner />
      <TitleCount />
      <main id="main" tabIndex={-1}>
        {page(route, user)}
      </main>
    </div>
  );
}
