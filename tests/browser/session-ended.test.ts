/**
 * A revoked session in the console (issue 10 item 4, the dashboard's side):
 * the hub closes the stream with 4401 and the console goes straight back to
 * the login page — it does not keep showing a queue it no longer receives.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../helpers/test-hub.js';
import { createUser, startHubAndBrowser, HAVE_CHROMIUM, logIn, newDesk, NO_CHROMIUM_REASON, pageErrors } from './harness.js';

if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

describe.skipIf(!HAVE_CHROMIUM)('a session ended while the console is open (real chromium)', () => {
  let hub: TestHub;
  let browser: Browser;

  beforeAll(async () => {
    [hub, browser] = await startHubAndBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('goes back to the login page when an admin disables the operator, without a reload', async () => {
    const operator = await createUser(hub, 'operator', 'he.jun', 'He Jun');
    const context = await newDesk(browser);
    const page = await context.newPage();
    const errors = pageErrors(page);
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await logIn(page, hub.httpUrl, operator);
    const id = hub.hub.registry.listUsers().find((u) => u.username === operator.username)!.id;
    await page.waitForSelector('[data-stream=live]');

    const disabled = await hub.api.request('PATCH', `/api/v1/users/${id}`, { disabled: true });
    expect(disabled.status).toBe(200);

    await page.waitForSelector('input[name=username]');
    expect(await page.locator('.top-bar').count()).toBe(0);
    // Straight to the login page: no second attempt at a socket the hub would refuse.
    expect(sockets, JSON.stringify(sockets)).toHaveLength(1);
    // The one 401 is /auth/me telling the console its session ended; nothing else went wrong.
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    await context.close();
  });
});
