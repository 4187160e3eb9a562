/**
 * Hash routes (#/queue, #/alerts/<id>, #/homes, #/audit): a reload or a
 * bookmark lands on the same page, and no server route is involved.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route = { name: 'queue' } | { name: 'alert'; id: string } | { name: 'homes' } | { name: 'audit' } | { name: 'notFound'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/' || path === '/queue') return { name: 'queue' };
  if (path === '/homes') return { name: 'homes' };
  if (path === '/audit') return { name: 'audit' };
  const alert = /^\/alerts\/([^/]+)$/.exec(path);
  if (alert?.[1]) return { name: 'alert', id: decodeURIComponent(alert[1]) };
  return { name: 'notFound', path };
}

export const href = {
  queue: () => '#/queue',
  alert: (id: string) => `#/alerts/${encodeURIComponent(id)}`,
  homes: () => '#/homes',
  audit: () => '#/audit',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
