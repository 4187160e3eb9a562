/**
 * The console says when the hub cannot take alarms (DESIGN.md §8 "every
 * failure is visible"; the 2020 Swedish failure in REFERENCES.md, where
 * alarms were late for a day and the desks did not know). A hub on a real
 * PostgreSQL database that is taken away and given back; the console in real
 * Chromium shows a red band with the hub's reason while it lasts, and
 * nothing once the hub is healthy again.
 */
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../helpers/pg-database.js';
import type { TestHub } from '../helpers/test-hub.js';
import { createUser, docScreenshot, HAVE_CHROMIUM, logIn, newDesk, NO_CHROMIUM_REASON, pageErrors, startHubAndBrowser } from './harness.js';

if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

describe.skipIf(!HAVE_CHROMIUM)('the console when the hub cannot take alarms (real chromium, PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let hub: TestHub;
  let browser: Browser;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createPgDatabase();
    [hub, browser] = await startHubAndBrowser({ env: { HUB_DATABASE_URL: db.url } });
    admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
  }, 120_000);

  /** What a database outage does to the hub: no new connections, every open one ended. */
  const loseDatabase = async (lost: boolean) => {
    await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS ${lost ? 'false' : 'true'}`);
    if (lost) await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
  };

  afterAll(async () => {
    await loseDatabase(false).catch(() => undefined);
    await admin?.end();
    await browser?.close();
    await hub?.stop();
    await db?.drop();
  });

  it("shows a red band with the hub's reason while the database is gone, and takes it away once the hub is healthy again", async () => {
    const operator = await createUser(hub, 'operator', 'zhou.min', 'Zhou Min');
    const installer = await createUser(hub, 'installer', 'wu.lei', 'Wu Lei');
    const context = await newDesk(browser);
    const page = await context.newPage();
    const errors = pageErrors(page);
    await logIn(page, hub.httpUrl, operator);
    await page.waitForSelector('[data-stream=live]');
    // An installer's console too (their commissioning alarms need acknowledging as much): logged in before the outage.
    const installerContext = await newDesk(browser);
    const installerPage = await installerContext.newPage();
    await logIn(installerPage, hub.httpUrl, installer);
    await installerPage.waitForResponse((r) => r.url().endsWith('/api/v1/health') && r.status() === 200);
    // The hub is healthy: the console has asked already, and shows nothing.
    await page.waitForResponse((r) => r.url().endsWith('/api/v1/health') && r.status() === 200);
    expect(await page.locator('.health-banner').count()).toBe(0);

    await loseDatabase(true);
    const banner = page.locator('.health-banner[role=alert]');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.getAttribute('data-health')).toBe('refused');
    const text = (await banner.textContent()) ?? '';
    expect(text).toMatch(/^The hub is not acknowledging alarms\.Since \d\d:\d\d/);
    expect(text).toMatch(/Call the technical on-call now/);
    // The hub's own reason, as /health gives it.
    const health = (await (await fetch(`${hub.httpUrl}/api/v1/health`)).json()) as { ok: boolean; reason: string };
    expect(health.ok).toBe(false);
    expect(await page.locator('.health-banner .health-reason').textContent()).toBe(health.reason);
    await docScreenshot(page, 'health-banner.png');
    await installerPage.locator('.health-banner[role=alert][data-health=refused]').waitFor({ timeout: 30_000 });

    await loseDatabase(false);
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    await installerPage.locator('.health-banner').waitFor({ state: 'detached', timeout: 30_000 });
    // Only the 503s the console read on purpose; nothing broke on the page.
    expect(errors.filter((e) => !/status of 503/.test(e))).toEqual([]);
    await context.close();
    await installerContext.close();
  }, 120_000);
});
