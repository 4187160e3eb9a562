/** The admin pages' own tabs: users, webhooks, data (issue 13 item 2). */
import { t } from '../../i18n/index.js';
import { href, type Route } from '../../router.js';

const TABS = [
  { name: 'adminUsers', to: href.adminUsers, label: 'admin.tab.users' },
  { name: 'adminWebhooks', to: href.adminWebhooks, label: 'admin.tab.webhooks' },
  { name: 'adminData', to: href.adminData, label: 'admin.tab.data' },
] as const;

export function AdminNav({ current }: { current: Route['name'] }) {
  return (
    <nav class="admin-nav" aria-label={t('admin.nav')}>
      {TABS.map((tab) => (
        <a key={tab.name} href={tab.to()} class="nav-link" aria-current={current === tab.name ? 'page' : undefined}>
          {t(tab.label)}
        </a>
      ))}
    </nav>
  );
}
