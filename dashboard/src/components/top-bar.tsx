/** The bar on every page: where to go, whether the console is live, the alarm, the language, who is logged in. */
import type { ComponentChildren } from 'preact';
import { AUDIT_ROLES } from '../api/enums.js';
import type { User } from '../api/types.js';
import { t } from '../i18n/index.js';
import { book } from '../live/index.js';
import { INSTALL_ROLES, REPORT_ROLES } from '../roles.js';
import { href, type Route } from '../router.js';
import { useStore } from '../util/use-store.js';
import { ConnectionBadge } from './connection-badge.js';
import { LangSwitch } from './lang-switch.js';
import { MuteButton } from './mute-button.js';
import { PresenceSwitch } from './presence-switch.js';
import { WhoAmI } from './who-am-i.js';

function NavLink({ to, current, children }: { to: string; current: boolean; children: ComponentChildren }) {
  return (
    <a href={to} class="nav-link" aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}

function OpenCount() {
  useStore(book.version);
  const open = book.sorted().filter((a) => a.status === 'open').length;
  return (
    <span class="nav-count" aria-label={t('nav.openCount', { n: open })}>
      {open}
    </span>
  );
}

export function TopBar({ user, route }: { user: User; route: Route }) {
  return (
    <header class="top-bar">
      <span class="brand">{t('app.title')}</span>
      <nav aria-label={t('nav.label')} class="nav">
        <NavLink to={href.queue()} current={route.name === 'queue' || route.name === 'alert'}>
          {t('nav.queue')} <OpenCount />
        </NavLink>
        <NavLink to={href.homes()} current={route.name === 'homes'}>
          {t('nav.homes')}
        </NavLink>
        <NavLink to={href.callbacks()} current={route.name === 'callbacks'}>
          {t('nav.callbacks')}
        </NavLink>
        <NavLink to={href.handover()} current={route.name === 'handover'}>
          {t('nav.handover')}
        </NavLink>
        {REPORT_ROLES.has(user.role) && (
          <NavLink to={href.reports()} current={route.name === 'reports'}>
            {t('nav.reports')}
          </NavLink>
        )}
        {INSTALL_ROLES.has(user.role) && (
          <NavLink to={href.install()} current={route.name === 'install' || route.name === 'installNew' || route.name === 'installHome'}>
            {t('nav.install')}
          </NavLink>
        )}
        {user.role === 'admin' && (
          <NavLink to={href.adminUsers()} current={route.name === 'adminUsers' || route.name === 'adminWebhooks' || route.name === 'adminData'}>
            {t('nav.admin')}
          </NavLink>
        )}
        {AUDIT_ROLES.has(user.role) && (
          <NavLink to={href.audit()} current={route.name === 'audit'}>
            {t('nav.audit')}
          </NavLink>
        )}
      </nav>
      <div class="top-tools">
        <ConnectionBadge />
        <PresenceSwitch user={user} />
        <MuteButton />
        <LangSwitch />
        <WhoAmI user={user} />
      </div>
    </header>
  );
}
