/**
 * Drills in a real browser against a real hub (issue 13 item 8): a
 * supervisor starts a drill for a whole community from the Drills page; the
 * operator sees both drill alerts marked DRILL in the queue and on the alert
 * page and acknowledges one; the supervisor's drill report fills in live;
 * the family page marks the drill; the reports page says drills are left
 * out; the supervisor ends the drill. The Chinese page is drawn with a CJK
 * font for docs/screenshots/drills-zh-CN.png, and the page passes axe-core's
 * contrast check.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../helpers/test-hub.js';
import { contrastProblems } from './axe.js';
import { drawsChinese } from './cjk.js';
import { HAVE_CHROMIUM, NO_CHROMIUM_REASON, createUser, docScreenshot, startHubAndBrowser, fakeNotifications, logIn, newDesk, notificationsShown, pageErrors, provisionRichHome, setHidden, type Person } from './harness.js';

if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

const noLoadErrors = (errors: string[]) => errors.filter((e) => !e.includes('Failed to load resource'));

describe.skipIf(!HAVE_CHROMIUM)('drills (real chromium, real hub)', () => {
  let hub: TestHub;
  let browser: Browser;
  let supervisor: Person;
  let operator: Person;
  const family: Person = { username: 'li.ming', password: 'li.ming-password-1', displayName: 'Li Ming' };
  let homeIds: string[];
  let sup: Page;
  let errors: string[];

  beforeAll(async () => {
    [hub, browser] = await startHubAndBrowser();
    supervisor = await createUser(hub, 'supervisor', 'zhou.min', 'Zhou Min');
    operator = await createUser(hub, 'operator', 'li.na', 'Li Na');
    // Both in "Jinjiang Community" (provisionRichHome's community).
    homeIds = [(await provisionRichHome(hub)).homeId, (await provisionRichHome(hub, { name: 'Chen home', resident: 'Chen Yu' })).homeId];
    const user = await hub.api.post('/api/v1/users', { ...family, role: 'family' });
    await hub.api.request('PUT', `/api/v1/homes/${homeIds[0]}/family/${user.body.id}`);
    sup = await (await newDesk(browser)).newPage();
    errors = pageErrors(sup);
    await logIn(sup, hub.httpUrl, supervisor);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('a supervisor starts a community drill; the operator handles it marked DRILL; the report fills in live; the drill ends', async () => {
    // The family member is on their page, the tab hidden: their notification must say DRILL.
    const famContext = await newDesk(browser);
    await fakeNotifications(famContext);
    const fam = await famContext.newPage();
    await logIn(fam, hub.httpUrl, family);
    await fam.waitForSelector('[data-page=family]');
    await setHidden(fam, true);

    await sup.click('a.nav-link[href="#/drills"]');
    await sup.waitForSelector('[data-page=drills]');
    await sup.check('input[name=scope][value=community]');
    await sup.selectOption('select[name=target]', 'Jinjiang Community');
    await sup.selectOption('select[name=kind]', 'fall');
    await sup.click('[data-action=start-drill]');
    await sup.waitForSelector('.drill-report[data-state=running] tr[data-alert-id]');
    const rows = await sup.$$eval('.drill-report tr[data-alert-id]', (trs) => trs.map((tr) => tr.getAttribute('data-alert-id')!));
    expect(rows).toHaveLength(2);
    expect(await sup.$$eval('.drill-report [data-col=answer] [data-met]', (els) => els.map((e) => e.getAttribute('data-met')))).toEqual(['pending', 'pending']);

    // The operator: both alerts in the queue, each marked DRILL; the alert page says so too.
    const op = await (await newDesk(browser)).newPage();
    const opErrors = pageErrors(op);
    await logIn(op, hub.httpUrl, operator);
    await op.waitForSelector(`.queue-row[data-alert-id="${rows[0]}"] [data-flag=drill]`);
    await op.waitForSelector(`.queue-row[data-alert-id="${rows[1]}"] [data-flag=drill]`);
    // The alarm sounds as for the real thing: the drill rehearses the whole path.
    expect(await op.locator('button.mute').getAttribute('data-alarm')).toBe('on');
    await op.click(`.queue-row[data-alert-id="${rows[0]}"]`);
    await op.waitForSelector('.alert-header [data-flag=drill]');
    expect(await op.textContent('.drill-banner')).toContain('drill');
    await op.click('[data-action=acknowledge]');
    await op.waitForSelector('[data-field=acknowledgedBy]');
    expect(noLoadErrors(opErrors)).toEqual([]);

    // The supervisor's report follows the stream: the answer is in, within the 60 s target.
    await sup.waitForSelector(`.drill-report tr[data-alert-id="${rows[0]}"] [data-col=answer] [data-met=met]`);
    expect(await sup.textContent('[data-total=answer]')).toContain('1 of 2');
    expect(await contrastProblems(sup)).toEqual([]);
    await docScreenshot(sup, 'drills.png', { fullPage: true });

    // The family was told it is a drill, and sees it marked on their relative's page.
    await expect.poll(async () => (await notificationsShown(fam)).map((n) => n.title)).toEqual(['DRILL · Fall — Wang Lan']);
    await fam.waitForSelector(`[data-page=family] .family-alert[data-alert-id="${rows[0]}"] [data-flag=drill]`);

    // The reports page says drills are not in its figures.
    await sup.click('a.nav-link[href="#/reports"]');
    await sup.waitForSelector('[data-field=drills-excluded]');
    await sup.click('[data-field=drills-excluded] a');
    await sup.waitForSelector('[data-page=drills] tr[data-drill-id][data-state=running]');

    // End it: the drill alerts leave the queue.
    await sup.click('tr[data-drill-id] a');
    await sup.click('[data-action=end-drill]');
    await sup.waitForSelector('.drill-report[data-state=ended]');
    expect(await sup.$$eval('.drill-report [data-col=onScene] [data-met]', (els) => els.map((e) => e.getAttribute('data-met')))).toEqual(['missed', 'missed']);
    await op.click('a.back');
    await op.waitForSelector(`.queue-row[data-alert-id="${rows[0]}"]`, { state: 'detached' });
    expect(noLoadErrors(errors)).toEqual([]);
  }, 120_000);

  it('an operator has no Drills page; in Chinese the page is drawn with a CJK font (zh-CN screenshot)', async () => {
    const op = await (await newDesk(browser)).newPage();
    await logIn(op, hub.httpUrl, operator);
    expect(await op.$('a.nav-link[href="#/drills"]')).toBeNull();
    await op.goto(`${hub.httpUrl}/#/drills`);
    await op.waitForSelector('main');
    expect(await op.$('[data-page=drills]')).toBeNull();

    const zh = await (await newDesk(browser, 'zh-CN')).newPage();
    await logIn(zh, hub.httpUrl, supervisor);
    await zh.goto(`${hub.httpUrl}/#/drills`);
    await zh.waitForSelector('[data-page=drills] tr[data-drill-id]');
    await zh.click('tr[data-drill-id] a');
    await zh.waitForSelector('.drill-report[data-state=ended]');
    expect(await zh.textContent('#drills-title')).toBe('应急演练');
    await expect(drawsChinese(zh, '#drills-title')).resolves.toMatchObject({ differs: true, inked: true });
    await docScreenshot(zh, 'drills-zh-CN.png', { fullPage: true });
  }, 120_000);
});
