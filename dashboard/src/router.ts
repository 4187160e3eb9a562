/**
 * Hash routes (#/queue, #/alerts/<id>, #/homes, #/audit, #/reports, #/family,
 * #/install…, #/visits, #/admin/…, #/residents/<id>): a reload or a bookmark lands on the same page, and no
 * server route is involved.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'queue' }
  | { name: 'alert'; id: string }
  | { name: 'homes' }
  | { name: 'audit' }
  | { name: 'reports' }
  | { name: 'family' }
  | { name: 'install' }
  | { name: 'installNew' }
  | { name: 'installHome'; id: string }
  | { name: 'visits' }
  | { name: 'adminUsers' }
  | { name: 'adminWebhooks' }
  | { name: 'adminData' }
  | { name: 'resident'; id: string }
  | { name: 'callbacks' }
  | { name: 'handover' }
  | { name: 'notFound'; path: string };

const FIXED: Record<string, Route> = {
  '/queue': { name: 'queue' },
  '/homes': { name: 'homes' },
  '/audit': { name: 'audit' },
  '/reports': { name: 'reports' },
  '/family': { name: 'family' },
  '/install': { name: 'install' },
  '/install/new': { name: 'installNew' },
  '/visits': { name: 'visits' },
  '/admin/users': { name: 'adminUsers' },
  '/admin/webhooks': { name: 'adminWebhooks' },
  '/admin/data': { name: 'adminData' },
  '/callbacks': { name: 'callbacks' },
  '/handover': { name: 'handover' },
};

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/') return { name: 'queue' };
  const fixed = FIXED[path];
  if (fixed) return fixed;
  const alert = /^\/alerts\/([^/]+)$/.exec(path);
  if (alert?.[1]) return { name: 'alert', id: decodeURIComponent(alert[1]) };
  const resident = /^\/residents\/([^/]+)$/.exec(path);
  if (resident?.[1]) return { name: 'resident', id: decodeURIComponent(resident[1]) };
  const home = /^\/install\/homes\/([^/]+)$/.exec(path);
  if (home?.[1]) return { name: 'installHome', id: decodeURIComponent(home[1]) };
  return { name: 'notFound', path };
}

export const href = {
  queue: () => '#/queue',
  alert: (id: string) => `#/alerts/${encodeURIComponent(id)}`,
  homes: () => '#/homes',
  audit: () => '#/audit',
  reports: () => '#/reports',
  family: () => '#/family',
  install: () => '#/install',
  installNew: () => '#/install/new',
  installHome: (id: string) => `#/install/homes/${encodeURIComponent(id)}`,
  visits: () => '#/visits',
  adminUsers: () => '#/admin/users',
  adminWebhooks: () => '#/admin/webhooks',
  adminData: () => '#/admin/data',
  resident: (id: string) => `#/residents/${encodeURIComponent(id)}`,
  callbacks: () => '#/callbacks',
  handover: () => '#/handover',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    // The hash may have changed between the first render and now (the login page sets it
    // right after the user is known): a hashchange fired before this listener is not missed.
    onChange();
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
