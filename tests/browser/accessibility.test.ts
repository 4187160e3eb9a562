/**
 * Elder-friendly and accessible (issue 13 item 10), in a real browser:
 * - WCAG AA colour contrast on every page of every role, checked by axe-core
 *   (tests/browser/axe.ts), the family page in elder mode included;
 * - the operator's whole path by keyboard alone — queue, open, acknowledge,
 *   dispatch a contact — with a visible focus ring on every element Tab
 *   reaches on the way;
 * - the family page's elder mode (长辈模式): larger type, past alerts and
 *   device details left out, remembered after a reload.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../helpers/test-hub.js';
import { contrastProblems } from './axe.js';
import { ADMIN, HAVE_CHROMIUM, NO_CHROMIUM_REASON, createUser, startHubAndBrowser, logIn, logInByKeyboard, newDesk, provisionRichHome, type Person } from './harness.js';

if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

/** The focused element and whether a focus indicator is drawn around it. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const style = el ? getComputedStyle(el) : undefined;
    const ring = style !== undefined && ((style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none');
    return { tag: el?.tagName ?? '', action: el?.dataset.action, alertId: el?.dataset.alertId, text: (el?.textContent ?? '').trim().slice(0, 40), ring };
  });

/** Tabs until `done`; every element passed on the way must show its focus. */
async function tabTo(page: Page, done: (f: Awaited<ReturnType<typeof focused>>) => boolean, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f.tag !== 'BODY' && f.tag !== 'MAIN') expect(f.ring, `focus ring on ${f.tag} "${f.text}"`).toBe(true);
    if (done(f)) return;
  }
  throw new Error(`Tab never reached the target in ${max} presses; last: ${JSON.stringify(await focused(page))}`);
}

describe.skipIf(!HAVE_CHROMIUM)('accessibility: contrast, keyboard, elder mode (real chromium)', () => {
  let hub: TestHub;
  let browser: Browser;
  let operator: Person;
  let homeId: string;
  let residentId: string;
  const family: Person = { username: 'li.ming', password: 'li.ming-password-1', displayName: 'Li Ming' };

  async function raise(kind: string, severity: 'critical' | 'medium', ageSec: number): Promise<string> {
    const deviceId = hub.hub.registry.listDevices(homeId)[0]!.id;
    hub.hub.intake.submit({ kind, severity, title: kind, homeId, deviceId }, { deviceId, eventType: kind, at: new Date(Date.now() - ageSec * 1000).toISOString() });
    await hub.hub.journal.whenDurable();
    return hub.hub.alerts.list({ homeIds: new Set([homeId]), kind, unresolved: true })[0]!.id;
  }

  beforeAll(async () => {
    [hub, browser] = await startHubAndBrowser();
    operator = await createUser(hub, 'operator', 'wu.gang', 'Wu Gang');
    ({ homeId } = await provisionRichHome(hub));
    residentId = (await hub.api.get(`/api/v1/homes/${homeId}`)).body.resident.id;
    const user = await hub.api.post('/api/v1/users', { ...family, role: 'family' });
    await hub.api.request('PUT', `/api/v1/homes/${homeId}/family/${user.body.id}`);
    // One alert already handled (a past alert on the family page), and two open.
    const past = await raise('door_open', 'medium', 7200);
    await hub.hub.lifecycle.acknowledge(past, 'user:wu.gang');
    await hub.hub.lifecycle.resolve(past, 'user:wu.gang', 'resident_ok');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('meets WCAG AA contrast on every page of every role (axe-core)', async () => {
    const alertId = await raise('sos', 'critical', 90);
    const page = await (await newDesk(browser)).newPage();
    const problems: string[] = [];
    const check = async (where: string) => {
      for (const p of await contrastProblems(page)) problems.push(`${where}: ${p.target} ${p.summary}`);
    };
    await page.goto(`${hub.httpUrl}/`);
    await page.waitForSelector('input[name=username]');
    await check('login');
    await logIn(page, hub.httpUrl, ADMIN);
    const pages: [string, string][] = [
      ['#/queue', 'a.queue-row'],
      [`#/alerts/${alertId}`, '.resident-card .contacts'],
      ['#/homes', 'table.homes tbody tr'],
      ['#/reports', '.report-grid'],
      ['#/audit', 'table.audit tbody tr'],
      [`#/residents/${residentId}`, '[data-rule=heart_rate]'],
      ['#/admin/users', 'tr[data-user]'],
      ['#/admin/webhooks', '[data-page=admin-webhooks] [data-form=new-webhook]'],
      ['#/admin/data', '.backup-status'],
      ['#/install', '[data-page=install-list] .tag'],
      [`#/install/homes/${homeId}`, '[data-page=install-home]'],
      ['#/visits', '[data-page=visits]'],
    ];
    for (const [hash, ready] of pages) {
      await page.goto(`${hub.httpUrl}/${hash}`);
      await page.waitForSelector(ready);
      await check(hash);
    }
    // The same in Chinese (other words, other widths: the colours must hold there too).
    await page.selectOption('#lang-select', 'zh-CN');
    await page.goto(`${hub.httpUrl}/#/alerts/${alertId}`);
    await page.waitForSelector('.resident-card .contacts');
    await check('zh-CN alert');

    const fam = await (await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true })).newPage();
    await logIn(fam, hub.httpUrl, family);
    await fam.waitForSelector('[data-page=family] .family-alert');
    for (const p of await contrastProblems(fam)) problems.push(`family: ${p.target} ${p.summary}`);
    await fam.click('[data-action=elder-mode]');
    await fam.waitForSelector('[data-page=family][data-elder=on]');
    for (const p of await contrastProblems(fam)) problems.push(`family elder mode: ${p.target} ${p.summary}`);
    expect(problems).toEqual([]);
    await hub.hub.lifecycle.acknowledge(alertId, 'user:test');
    await hub.hub.lifecycle.resolve(alertId, 'user:test', 'false_alarm');
  }, 120_000);

  it('the operator works by keyboard alone: queue, open, acknowledge, dispatch a contact — focus always visible', async () => {
    const sos = await raise('sos', 'critical', 20);
    const page = await (await newDesk(browser)).newPage();
    await logInByKeyboard(page, hub.httpUrl, operator);
    await page.waitForSelector(`a.queue-row[data-alert-id="${sos}"]`);

    await tabTo(page, (f) => f.alertId === sos);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`article.alert-page[data-alert-id="${sos}"]`);
    await tabTo(page, (f) => f.action === 'acknowledge');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-field=acknowledgedBy]');

    // The resident's first contact, one key press away, then the dispatch button.
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text.startsWith('+ Li Ming'));
    await page.keyboard.press('Enter');
    await tabTo(page, (f) => f.action === 'dispatch');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.responders .responder');
    expect(hub.hub.alerts.get(sos)).toMatchObject({ status: 'dispatched', responders: [expect.objectContaining({ kind: 'family', name: 'Li Ming (daughter)', phone: '+86 139 1234 5678' })] });
    await page.context().close();
  }, 60_000);

  it('family elder mode: larger type, only what matters now, remembered on this phone', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true });
    const page = await context.newPage();
    await logIn(page, hub.httpUrl, family);
    await page.waitForSelector('[data-page=family][data-elder=off] .family-alerts.is-recent');
    const size = () => page.locator('.family-head h1').evaluate((h) => parseFloat(getComputedStyle(h).fontSize));
    const normal = await size();
    const button = page.locator('[data-action=elder-mode]');
    await expect(button.textContent()).resolves.toBe('长辈模式');
    await button.click();
    await page.waitForSelector('[data-page=family][data-elder=on]');
    expect(await size()).toBeGreaterThanOrEqual(normal * 1.4);
    expect(await page.locator('.family-alerts.is-recent').count()).toBe(0);
    expect(await page.locator('.family-devices').isVisible()).toBe(false);
    await expect(button.getAttribute('aria-pressed')).resolves.toBe('true');
    await page.reload();
    await page.waitForSelector('[data-page=family][data-elder=on]');
    await page.locator('[data-action=elder-mode]').click();
    await page.waitForSelector('[data-page=family][data-elder=off] .family-alerts.is-recent');
    await context.close();
  }, 60_000);
});
