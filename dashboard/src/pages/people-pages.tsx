/** The installer's and visitor's pages, shown by both frames (admins reach them from the console). */
import type { VNode } from 'preact';
import type { User } from '../api/types.js';
import type { Route } from '../router.js';
import { InstallHomePage } from './install-home-page.js';
import { InstallListPage } from './install-list-page.js';
import { InstallNewPage } from './install-new-page.js';
import { VisitsPage } from './visits-page.js';

export function peoplePage(route: Route, user: User): VNode | undefined {
  switch (route.name) {
    case 'install':
      return <InstallListPage />;
    case 'installNew':
      return <InstallNewPage />;
    case 'installHome':
      return <InstallHomePage key={route.id} id={route.id} />;
    case 'visits':
      return <VisitsPage user={user} />;
    default:
      return undefined;
  }
}
