/**
 * Which hosts the hub may POST webhooks to (HUB_WEBHOOK_ALLOWED_HOSTS). An
 * operator or installer can type a contact's webhook URL; without a list, a
 * URL pointing inside the site's network (a router, a metadata service) would
 * be requested by the hub. Entries are host names (`sms.example.com`), domain
 * suffixes (`.example.com`) or IP addresses. No list: any host (documented).
 */
export type HostAllowList = readonly string[] | undefined;

export function parseHostAllowList(text: string | undefined): HostAllowList {
  if (text === undefined) return undefined;
  const entries = text.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  return entries.length > 0 ? entries : undefined;
}

/** Undefined when the URL may be used; otherwise why not. */
export function hostRefusal(url: string, allowed: HostAllowList): string | undefined {
  if (!allowed) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return 'not a URL';
  }
  const ok = allowed.some((entry) => (entry.startsWith('.') ? host.endsWith(entry) || host === entry.slice(1) : host === entry));
  return ok ? undefined : `host ${host} is not in HUB_WEBHOOK_ALLOWED_HOSTS (${allowed.join(', ')})`;
}
