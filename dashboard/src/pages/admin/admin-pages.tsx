/** The admin's pages by route (issue 13 item 2). */
import type { VNode } from 'preact';
import type { Route } from '../../router.js';
import { DataStatusPage } from './data-status-page.js';
import { UsersPage } from './users-page.js';
import { WebhooksPage } from './webhooks-page.js';

export function adminPage(route: Route): VNode | undefined {
  switch (route.name) {
    case 'adminUsers':
      return <UsersPage />;
    case 'adminWebhooks':
      return <WebhooksPage />;
    case 'adminData':
      return <DataStatusPage />;
    default:
      return undefined;
  }
}
