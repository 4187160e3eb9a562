/**
 * Webhook URLs (issue 5), shared by the organisation's webhooks and a
 * contact's own `notify.webhookUrl`. Pure zod: the registry's contact schema
 * uses it too.
 */
import { z } from 'zod';

function problemWith(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http:// or https:// URL';
  if (!url.hostname) return 'must name a host';
  // Credentials in a URL end up in logs and screens; the hub authenticates each request with its signature instead.
  if (url.username || url.password) return 'must not contain a user name or password (each request is signed with the secret instead)';
  if (url.hash) return 'must not contain a #fragment';
  return undefined;
}

export const webhookUrlSchema = z
  .string()
  .trim()
  .max(2000)
  .superRefine((text, ctx) => {
    const problem = problemWith(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('http:// or https:// URL the hub POSTs the signed JSON to');

/**
 * A URL as shown to operators and written to logs: a query string may carry a
 * gateway's API key, so only origin and path are shown.
 */
export function displayUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.origin}${url.pathname}${url.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}
