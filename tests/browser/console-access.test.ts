/**
 * The console for every operator: both languages (browser default, switch,
 * remembered), keyboard only (rows in the Tab order, arrows, Enter opens,
 * acknowledge without a mouse, visible focus), the focused row staying put
 * when alerts arrive above it, and pages by role (audit for supervisors and
 * admins only).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Severity } from '../../hub/alerts/alert.js';
import type { TestHub } from '../helpers/test-hub.js';
import {
  ADMIN,
  HAVE_CHROMIUM,
  NO_CHROMIUM_REASON,
  createUser,
  startHubAndBrowser,
  fakeNotifications,
  logIn,
  logInByKeyboard,
  newDesk,
  provisionRichHome,
  type Person,
} from './harness.js';

if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

async function raise(hub: TestHub, homeId: string, kind: string, severity: Severity, ageSec = 5): Promise<string> {
  const deviceId = hub.hub.registry.listDevices(homeId)[0]!.id;
  hub.hub.intake.submit({ kind, severity, title: kind, homeId, deviceId }, { deviceId, eventType: kind, at: new Date(Date.now() - ageSec * 1000).toISOString() });
  await hub.hub.journal.whenDurable();
  return hub.hub.alerts.list({ homeIds: new Set([homeId]), kind })[0]!.id;
}

/** Closes every alert, so each test starts from an empty queue on the shared hub. */
async function resolveAll(hub: TestHub): Promise<void> {
  for (const alert of hub.hub.alerts.list({ unresolved: true })) {
    if (alert.status === 'open') await hub.hub.lifecycle.acknowledge(alert.id, 'user:test');
    await hub.hub.lifecycle.resolve(alert.id, 'user:test', 'false_alarm');
  }
}

const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return { alertId: el?.dataset.alertId, action: el?.dataset.action, tag: el?.tagName, outline: el ? getComputedStyle(el).outlineStyle : 'none' };
  });

/** Presses Tab until `done` holds for the focused element; fails after `max` presses. */
async function tabUntil(page: Page, done: (f: Awaited<ReturnType<typeof focused>>) => boolean, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (done(await focused(page))) return;
  }
  throw new Error(`focus never reached the target in ${max} Tab presses; last: ${JSON.stringify(await focused(page))}`);
}

describe.skipIf(!HAVE_CHROMIUM)('console access: languages, keyboard, roles (real chromium)', () => {
  let hub: TestHub;
  let browser: Browser;
  let operator: Person;
  let supervisor: Person;
  let homeIds: string[];

  beforeAll(async () => {
    [hub, browser] = await startHubAndBrowser();
    operator = await createUser(hub, 'operator', 'wu.gang', 'Wu Gang');
    supervisor = await createUser(hub, 'supervisor', 'sun.li', 'Sun Li');
    homeIds = [];
    for (const resident of ['Wang Lan', 'Zhang Wei', 'Liu Fang']) homeIds.push((await provisionRichHome(hub, { resident, name: `${resident} home` })).homeId);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('follows the browser language, switches, and remembers the choice', async () => {
    const zh = await (await newDesk(browser, 'zh-CN')).newPage();
    await zh.goto(`${hub.httpUrl}/`);
    await expect(zh.locator('h1').textContent()).resolves.toBe('居家养老监护台');
    await expect(zh.locator('html').getAttribute('lang')).resolves.toBe('zh-CN');
    await zh.context().close();

    const page = await (await newDesk(browser, 'en-US')).newPage();
    await page.goto(`${hub.httpUrl}/`);
    await expect(page.locator('button[type=submit]').textContent()).resolves.toBe('Log in');
    await page.selectOption('#lang-select', 'zh-CN');
    await expect(page.locator('button[type=submit]').textContent()).resolves.toBe('登录');
    await logIn(page, hub.httpUrl, operator);
    await expect(page.locator('nav a[href="#/queue"]').textContent()).resolves.toContain('告警队列');
    await page.reload();
    await page.waitForSelector('.top-bar');
    await expect(page.locator('nav a[href="#/queue"]').textContent()).resolves.toContain('告警队列');
    await page.selectOption('#lang-select', 'en');
    await expect(page.locator('nav a[href="#/queue"]').textContent()).resolves.toContain('Alert queue');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await page.context().close();
  });

  it('hides the audit from an operator and says "not allowed" if visited; shows it to a supervisor; keeps installers out', async () => {
    const page = await (await newDesk(browser)).newPage();
    await logIn(page, hub.httpUrl, operator);
    await page.waitForSelector('nav a[href="#/homes"]');
    expect(await page.locator('nav a[href="#/audit"]').count()).toBe(0);
    await page.goto(`${hub.httpUrl}/#/audit`);
    await page.waitForSelector('[data-page=not-allowed]');
    await expect(page.locator('[data-page=not-allowed] h1').textContent()).resolves.toBe('Not allowed');
    await page.context().close();

    const sup = await (await newDesk(browser)).newPage();
    await logIn(sup, hub.httpUrl, supervisor);
    await sup.click('nav a[href="#/audit"]');
    await sup.waitForSelector('table.audit tbody tr[data-action="auth.login"]');
    await sup.context().close();

    // An installer is not an operator: no queue, no stream, a page that says so.
    const installer = await createUser(hub, 'installer', 'he.jun', 'He Jun');
    const inst = await (await newDesk(browser)).newPage();
    await inst.goto(`${hub.httpUrl}/`);
    await inst.fill('input[name=username]', installer.username);
    await inst.fill('input[name=password]', installer.password);
    await inst.click('button[type=submit]');
    await inst.waitForSelector('[data-page=install-list]');
    expect(await inst.locator('.queue-list').count()).toBe(0);
    await inst.goto(`${hub.httpUrl}/#/queue`);
    // A hash change does not reload the page: wait for the router to send the installer back.
    await inst.waitForURL(/#\/install$/);
    await inst.waitForSelector('[data-page=install-list]');
    expect(await inst.locator('.queue-list').count()).toBe(0);
    await inst.context().close();

    const admin = await (await newDesk(browser)).newPage();
    await logIn(admin, hub.httpUrl, ADMIN);
    expect(await admin.locator('nav a[href="#/audit"]').count()).toBe(1);
    await admin.click('nav a[href="#/homes"]');
    await admin.waitForSelector('table.homes tbody tr[data-home-id]');
    expect(await admin.locator('table.homes tbody tr').count()).toBe(3);
    await admin.fill('input[name=q]', 'zhang');
    await expect.poll(() => admin.locator('table.homes tbody tr').count()).toBe(1);
    await admin.context().close();
  });

  it('shows a desktop notification for a new critical alert only while the tab is hidden', async () => {
    const context = await newDesk(browser);
    // Headless chromium has no notification centre and never hides a tab: stand in for both.
    await fakeNotifications(context);
    const page = await context.newPage();
    await logIn(page, hub.httpUrl, operator);
    await page.waitForSelector('[data-stream=live]');
    const shown = () => page.evaluate(() => (window as unknown as { __shown: { title: string }[] }).__shown.map((n) => n.title));

    await page.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = true));
    const smoke = await raise(hub, homeIds[1]!, 'smoke', 'critical', 0);
    await page.waitForSelector(`a.queue-row[data-alert-id="${smoke}"]`, { state: 'attached' });
    await expect.poll(shown).toEqual(['Smoke — Zhang Wei']);

    await page.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = false));
    const fall = await raise(hub, homeIds[2]!, 'fall', 'critical', 0);
    await page.waitForSelector(`a.queue-row[data-alert-id="${fall}"]`, { state: 'attached' });
    expect(await shown()).toEqual(['Smoke — Zhang Wei']);
    await context.close();
    await resolveAll(hub);
  });

  it('works with the keyboard only: Tab to the queue, arrows, Enter opens, acknowledge; the focused row stays put when alerts arrive above', async () => {
    await resolveAll(hub);
    const sos = await raise(hub, homeIds[0]!, 'sos', 'critical', 30);
    const heart = await raise(hub, homeIds[1]!, 'heart_rate', 'high', 20);
    const page = await (await newDesk(browser)).newPage();
    await logInByKeyboard(page, hub.httpUrl, operator);
    await page.waitForSelector(`a.queue-row[data-alert-id="${heart}"]`);

    await tabUntil(page, (f) => f.alertId !== undefined);
    let f = await focused(page);
    expect(f.alertId).toBe(sos);
    expect(f.outline).not.toBe('none');
    await page.keyboard.press('ArrowDown');
    expect((await focused(page)).alertId).toBe(heart);

    // A new critical alert sorts above the focused row: the row keeps its place on screen and its focus.
    const box = async () => (await page.locator(`a.queue-row[data-alert-id="${heart}"]`).boundingBox())!.y;
    const before = await box();
    const gas = await raise(hub, homeIds[2]!, 'gas', 'critical', 1);
    await page.waitForSelector(`a.queue-row[data-alert-id="${gas}"]`, { state: 'attached' });
    expect(await box()).toBe(before);
    expect((await focused(page)).alertId).toBe(heart);
    await expect(page.locator('.above-pill').isVisible()).resolves.toBe(true);

    // Order now: the SOS (oldest critical), the gas alert, the heart-rate alert.
    await page.keyboard.press('ArrowUp');
    expect((await focused(page)).alertId).toBe(gas);
    await page.keyboard.press('Home');
    expect((await focused(page)).alertId).toBe(sos);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`article.alert-page[data-alert-id="${sos}"]`);
    await tabUntil(page, (x) => x.action === 'acknowledge');
    f = await focused(page);
    expect(f.outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-field=acknowledgedBy]');
    expect(hub.hub.alerts.get(sos)).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'user:wu.gang' });
    await page.context().close();
  });
});
