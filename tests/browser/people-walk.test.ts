/**
 * The people around a resident, in a real browser against a real hub (issue
 * 5, "Done when"):
 * - a family member (on a phone-sized screen) sees their mother's home, gets
 *   a notification while the tab is hidden when her bracelet sends an SOS over
 *   MQTT, sees who took it, and presses "I'm on my way" — the operator's
 *   console shows the family responder live;
 * - a community worker logs a visit (a missing answer is named next to its
 *   field) with a follow-up, and the follow-up alert appears in the
 *   operator's queue;
 * - a supervisor reads the reports: answer times against the standard, the
 *   visit rate, a CSV per table.
 * One hub and one browser for the three, to keep the suite's time modest.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeviceKind } from '../../devices/catalog.js';
import { SimulatedDevice } from '../../simulators/simulated-device.js';
import type { TestHub } from '../helpers/test-hub.js';
import {
  HAVE_CHROMIUM,
  NO_CHROMIUM_REASON,
  createUser,
  docScreenshot,
  startHubAndBrowser,
  fakeNotifications,
  logIn,
  middayZone,
  newDesk,
  notificationsShown,
  pageErrors,
  provisionRichHome,
  setHidden,
  type Person,
} from './harness.js';

if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

const PHONE = { width: 390, height: 844 };
const noLoadErrors = (errors: string[]) => errors.filter((e) => !e.includes('Failed to load resource'));

describe.skipIf(!HAVE_CHROMIUM)('family, visitor and supervisor pages (real chromium, real hub, real MQTT)', () => {
  let hub: TestHub;
  let browser: Browser;
  let operator: Person;
  let home: { homeId: string; devices: { id: string; kind: string; secret: string }[] };
  let bracelet: SimulatedDevice;
  let door: SimulatedDevice;
  let operatorPage: Page;
  const family: Person = { username: 'li.ming', password: 'li.ming-password-1', displayName: 'Li Ming' };
  // Daytime for the hub and the browsers: at night the door's events would raise a wandering alert too.
  const zone = middayZone();

  beforeAll(async () => {
    [hub, browser] = await startHubAndBrowser({ env: { HUB_TIMEZONE: zone } });
    operator = await createUser(hub, 'operator', 'li.na', 'Li Na');
    home = await provisionRichHome(hub, { kinds: ['bracelet', 'door_sensor'] });
    // A second special-hardship resident, so the visitor's list has an order to keep.
    await provisionRichHome(hub, { name: 'Zhao home', resident: 'Zhao Gang', address: '5 Wuding Rd' });
    // The family member, created and linked through the API as an admin would.
    const created = await hub.api.post('/api/v1/users', { ...family, role: 'family' });
    expect(created.status).toBe(201);
    expect((await hub.api.request('PUT', `/api/v1/homes/${home.homeId}/family/${created.body.id}`)).status).toBe(200);

    const sim = (i: number) => {
      const d = home.devices[i]!;
      const device = new SimulatedDevice({ url: hub.mqttUrl, deviceId: d.id, secret: d.secret, kind: findDeviceKind(d.kind)!, heartbeats: false });
      device.start();
      return device;
    };
    bracelet = sim(0);
    door = sim(1);
    await Promise.all([bracelet.waitForConnect(), door.waitForConnect()]);
    await bracelet.heartbeat();
    await door.sendEvent('open');
    await door.sendEvent('close');

    operatorPage = await (await newDesk(browser, 'en-US', zone)).newPage();
    await logIn(operatorPage, hub.httpUrl, operator);
  }, 120_000);

  afterAll(async () => {
    await bracelet?.stop();
    await door?.stop();
    await browser?.close();
    await hub?.stop();
  });

  it('family: status, a notification while hidden for an SOS, who took it, "I\'m on my way" shown live to the operator', async () => {
    const context = await browser.newContext({ viewport: PHONE, locale: 'en-US', timezoneId: zone, hasTouch: true, isMobile: true });
    await fakeNotifications(context);
    const page = await context.newPage();
    const errors = pageErrors(page);
    await logIn(page, hub.httpUrl, family);
    await page.waitForSelector('[data-page=family] .family-status[data-status=ok]');
    expect(page.url()).toMatch(/#\/family$/);
    await expect(page.locator('.family-head h1').textContent()).resolves.toBe('Wang Lan');
    await expect(page.locator('.family-last').textContent()).resolves.toMatch(/Door last used just now/);
    await page.waitForSelector('[data-stream=live]');
    // Only her relative's home: the other resident is nowhere.
    expect(await page.locator('.family-home').count()).toBe(1);
    expect(await page.content()).not.toContain('Zhao Gang');

    // The SOS arrives while the phone shows another app.
    await setHidden(page, true);
    await bracelet.sendEvent('sos');
    const card = page.locator('.family-alert[data-status=open]');
    await card.waitFor({ timeout: 3_000 });
    await expect.poll(async () => (await notificationsShown(page)).map((n) => n.title)).toEqual(['SOS — Wang Lan']);
    await setHidden(page, false);
    const alertId = (await card.getAttribute('data-alert-id'))!;
    await expect(card.locator('[data-field=state]').textContent()).resolves.toContain('answering now');

    // The operator takes it; the family page says who, by name, live.
    await operatorPage.goto(`${hub.httpUrl}/#/alerts/${alertId}`);
    await operatorPage.click('[data-action=acknowledge]');
    await page.waitForSelector('.family-alert[data-status=acknowledged]');
    await expect(page.locator('.family-alert [data-field=state]').textContent()).resolves.toBe('Li Na at the care centre is handling it.');

    // One tap: on the way. The button stays pressed; the operator sees the family responder without reloading.
    const button = page.locator('[data-action=on-my-way]');
    await button.tap();
    await page.waitForSelector('[data-action=on-my-way][aria-pressed=true][disabled]');
    await expect(button.textContent()).resolves.toContain("You're on your way");
    await expect(page.locator('.family-responder[data-kind=family]').textContent()).resolves.toContain('you');
    const responder = operatorPage.locator('.responder[data-state=accepted]');
    await responder.waitFor({ timeout: 3_000 });
    await expect(responder.textContent()).resolves.toContain('Li Ming');
    await expect(responder.locator('.responder-kind').textContent()).resolves.toBe('Family');
    expect(hub.hub.alerts.get(alertId)!.responders).toMatchObject([{ kind: 'family', name: 'Li Ming', state: 'accepted', addedBy: 'user:li.ming' }]);
    await docScreenshot(page, 'family.png', { fullPage: true });

    // After a reload the button is still pressed (the hub knows), and a second press is impossible.
    await page.reload();
    await page.waitForSelector('[data-action=on-my-way][aria-pressed=true][disabled]');
    // Resolved by the operator: a notification while hidden, and the alert moves to "recent".
    await setHidden(page, true);
    await hub.hub.lifecycle.resolve(alertId, 'user:li.na', 'resident_ok');
    await page.waitForSelector(`.is-recent .family-alert[data-alert-id="${alertId}"]`);
    await expect.poll(async () => (await notificationsShown(page)).map((n) => n.body)).toContain('Resolved: Resident OK');
    expect(noLoadErrors(errors)).toEqual([]);
    await context.close();
  });

  it('visitor: residents due overdue first, a missing answer named, a visit with follow-up → the alert in the operator queue', async () => {
    const visitor = await createUser(hub, 'visitor', 'zhou.jie', 'Zhou Jie');
    const page = await (await newDesk(browser, 'en-US', zone)).newPage();
    const errors = pageErrors(page);
    await logIn(page, hub.httpUrl, visitor);
    await page.waitForSelector('[data-page=visits] .due-row');
    expect(page.url()).toMatch(/#\/visits$/);
    // Never visited, by name.
    const names = await page.locator('.due-row .due-main strong').allTextContents();
    expect(names).toEqual(['Wang Lan', 'Zhao Gang']);

    // By keyboard: Tab to the first "Log visit", Enter; the form's heading takes the focus.
    for (let i = 0; i < 10 && (await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.action)) !== 'start-visit'; i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const form = page.locator('.visit-form[data-resident-id]');
    await form.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('visit-form-title');
    await expect(form.locator('h2').textContent()).resolves.toBe('Visit to Wang Lan');
    await expect(form.locator('input[name=visitor]').inputValue()).resolves.toBe('Zhou Jie');
    await form.locator('textarea[name=notes]').fill('Kitchen tap leaking; she asks for a plumber.');
    await form.locator('input[name=followUp]').check();
    // No condition chosen: the hub says so, next to the question.
    await form.locator('[data-action=log-visit]').click();
    await form.locator('[data-field=condition] .field-error').waitFor();
    await form.locator('input[name=condition][value=well]').check();
    await docScreenshot(page, 'visits.png');
    await form.locator('[data-action=log-visit]').click();
    const done = page.locator('.visit-confirmation');
    await done.waitFor();
    await expect(done.locator('h2').textContent()).resolves.toBe('Visit to Wang Lan saved');
    const followUpId = (await done.locator('.follow-up-raised').getAttribute('data-alert-id'))!;
    expect(followUpId).toBeTruthy();
    await expect.poll(() => page.locator('.due-row .due-main strong').allTextContents()).toEqual(['Zhao Gang']);
    await expect(page.locator('.done-list li').first().textContent()).resolves.toContain('Wang Lan');

    // The operators' queue shows the follow-up, live.
    await operatorPage.goto(`${hub.httpUrl}/#/queue`);
    const queued = operatorPage.locator(`a.queue-row[data-alert-id="${followUpId}"]`);
    await queued.waitFor({ timeout: 3_000 });
    await expect(queued.locator('.col-kind').textContent()).resolves.toContain('Visit follow-up');
    expect(noLoadErrors(errors)).toEqual([]);
    await page.context().close();
  });

  it('supervisor: lands on the reports; answer times against the standard, visit rate, a CSV per table', async () => {
    const supervisor = await createUser(hub, 'supervisor', 'sun.li', 'Sun Li');
    const page = await (await newDesk(browser, 'en-US', zone)).newPage();
    const errors = pageErrors(page);
    await logIn(page, hub.httpUrl, supervisor);
    await page.waitForSelector('[data-page=reports] .report-grid');
    expect(page.url()).toMatch(/#\/reports$/);
    // Two alerts this month: the SOS (acknowledged within seconds) and the visit follow-up (still open, under 60 s).
    expect(await page.locator('.report-grid').getAttribute('data-total')).toBe('2');
    await expect(page.locator('.gauge[data-limit="60"] .gauge-figure').textContent()).resolves.toBe('100 %');
    await expect(page.locator('[data-field=visit-rate]').textContent()).resolves.toMatch(/^50 %/);
    await expect(page.locator('.not-visited li').allTextContents()).resolves.toEqual([expect.stringContaining('Zhao Gang')]);
    const links = await page.locator('a.csv-link').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(new Set(links.map((l) => new URL(l).pathname.split('/').pop()))).toEqual(
      new Set(['alerts-by-kind.csv', 'alerts-by-severity.csv', 'answer-times.csv', 'outcomes.csv', 'false-alarms.csv', 'devices-offline.csv', 'visits.csv', 'visits-missed.csv', ...['stalled-alerts', 'late-responders', 'callbacks', 'reviews', 'reviews-awaiting'].map((t) => `${t}.csv`)]),
    );
    const csv = await page.request.get(links.find((l) => l.includes('answer-times'))!);
    expect(csv.status()).toBe(200);
    expect((await csv.text()).replace(/^\uFEFF/, '').split('\r\n')[0]).toMatch(/^scope,alerts,acknowledged,answered_within_60s/);
    // Tall enough for the visit rate too; the page itself is laid out for 1366×768.
    await page.setViewportSize({ width: 1366, height: 1180 });
    await docScreenshot(page, 'reports.png');
    await page.setViewportSize({ width: 1366, height: 768 });

    // In Chinese too.
    await page.selectOption('#lang-select', 'zh-CN');
    await expect(page.locator('#reports-title').textContent()).resolves.toBe('报表');
    await expect(page.locator('.gauge[data-limit="60"] .gauge-text strong').textContent()).resolves.toBe('60 秒内应答');
    await page.selectOption('#lang-select', 'en');
    // Another period: last month has no alerts.
    await page.selectOption('select[name=preset]', 'lastMonth');
    await expect.poll(() => page.locator('.report-grid').getAttribute('data-total')).toBe('0');
    // The operator console is there too (read access), with the reports in the menu.
    await page.click('nav a[href="#/queue"]');
    await page.waitForSelector('a.queue-row');
    expect(noLoadErrors(errors)).toEqual([]);
    await page.context().close();
  });
});
