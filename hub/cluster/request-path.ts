/** The path part of a request-target (`/a?b` → `/a`): what a front decides by (leader-proxy.ts, replica-reads.ts). */
export function pathOf(target: string | undefined): string {
  const path = target ?? '';
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
