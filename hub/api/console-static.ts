/**
 * Serves the built console (dashboard/dist) at `/`: real files as they are,
 * any other non-API path as index.html so the single-page app's own routes
 * survive a reload. API paths are never answered here.
 */
import { existsSync } from 'node:fs';
import { serveStatic } from '@hono/node-server/serve-static';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './errors.js';

/**
 * `serveSourceMaps` off (the default, HUB_SERVE_SOURCE_MAPS): `.map` files are
 * 404, not served and not answered with index.html. They hold the console's
 * original source and comments, no secrets; docs/SECURITY.md says why they
 * are still off by default.
 */
export function consoleStatic(distDir: string, options: { serveSourceMaps?: boolean } = {}): MiddlewareHandler {
  // Created on first use: serveStatic complains at creation when the directory is missing,
  // and tests run hubs without a built console.
  let files: MiddlewareHandler | undefined;
  let index: MiddlewareHandler | undefined;
  return async (c, next) => {
    if (c.req.path === '/api' || c.req.path.startsWith('/api/')) return c.notFound();
    if (!options.serveSourceMaps && c.req.path.endsWith('.map')) return c.notFound();
    if (!existsSync(distDir)) {
      throw new HttpError(503, 'console_not_built', 'the console is not built: run `npm run build:dashboard` (npm install and npm start do it)');
    }
    files ??= serveStatic({ root: distDir });
    index ??= serveStatic({ root: distDir, path: 'index.html' });
    const served = await files(c, async () => undefined);
    return served ?? index(c, next);
  };
}
