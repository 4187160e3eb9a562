/**
 * The shift pages in a real browser against a real hub (issue 13 items 5, 6,
 * 7, 9), each role walked: two operators — one at the desk, one away — hear a
 * new critical alert in that order; one claims it and hands it over with a
 * note, the other releases it; a stalled alert sounds for its holder and then
 * for the supervisor; call-backs are scheduled and logged and a weekly
 * wellbeing call started; the handover page lists open and held alerts and
 * pending call-backs; the supervisor reviews the resolved alert and finds the
 * review, the follow-up figures and the call-backs in the reports.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { closeHub, useCleanup } from '../helpers/cleanup.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import {
  closeBrowser,
  createUser,
  docScreenshot,
  ensureDashboardBuilt,
  fakeNotifications,
  HAVE_CHROMIUM,
  launchChromium,
  logIn,
  middayZone,
  newDesk,
  NO_CHROMIUM_REASON,
  notificationsShown,
  pageErrors,
  provisionRichHome,
  setHidden,
} from './harness.js';

const keep = useCleanup();
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

const alarm = (page: Page) => page.evaluate(() => document.body.dataset.alarm);

/** An alert as its device would raise it, `ageMs` ago. */
async function raise(hub: TestHub, homeId: string, deviceId: string, kind: string, ageMs: number) {
  hub.hub.intake.submit({ kind, severity: 'critical', title: `${kind} alert`, homeId, deviceId }, { deviceId, eventType: kind, at: new Date(Date.now() - ageMs).toISOString() });
  await hub.hub.journal.whenDurable();
  return hub.hub.alerts.list({ homeIds: new Set([homeId]), kind, unresolved: true })[0]!;
}

describe.skipIf(!HAVE_CHROMIUM)('shift walk (real chromium, real hub)', () => {
  beforeAll(() => ensureDashboardBuilt(), 120_000);

  it('presence decides who hears first; claim, hand over, release; a stalled alert re-alerts the holder, then the supervisor', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const liNa = await createUser(hub, 'operator', 'li.na', 'Li Na');
    const wangFang = await createUser(hub, 'operator', 'wang.fang', 'Wang Fang');
    const chenJie = await createUser(hub, 'supervisor', 'chen.jie', 'Chen Jie');
    const { homeId, devices } = await provisionRichHome(hub);
    const browser = keep(await launchChromium(), closeBrowser);
    const contexts = await Promise.all([1, 2, 3].map(() => newDesk(browser)));
    await fakeNotifications(contexts[0]!);
    const [a, b, c] = await Promise.all(contexts.map((context) => context.newPage()));
    const errors = [a, b, c].flatMap((p) => [pageErrors(p!)]);
    await logIn(a!, hub.httpUrl, liNa);
    await logIn(b!, hub.httpUrl, wangFang);
    await logIn(c!, hub.httpUrl, chenJie);

    // Wang Fang steps away; the supervisor too, so only Li Na is at the desk.
    for (const page of [b!, c!]) {
      await page.click('button.presence');
      await page.waitForSelector('button.presence[data-presence=away]');
    }
    await a!.waitForFunction(() => document.querySelectorAll('button.presence[data-presence=online]').length === 1);

    // A critical alert raised 25 s ago: Li Na hears it now, Wang Fang once 30 s have passed without an answer.
    const sos = await raise(hub, homeId, devices[0]!.id, 'sos', 25_000);
    await a!.waitForSelector(`a.queue-row[data-alert-id="${sos.id}"]`);
    await expect.poll(() => alarm(a!)).toBe('on');
    await b!.waitForSelector(`a.queue-row[data-alert-id="${sos.id}"]`);
    expect(await alarm(b!)).toBe('off');
    await expect.poll(() => alarm(b!), { timeout: 10_000 }).toBe('on');

    // Li Na claims it and hands it over to Wang Fang with a note.
    await a!.click(`a.queue-row[data-alert-id="${sos.id}"]`);
    await a!.click('[data-action=acknowledge]');
    await a!.waitForSelector('article.alert-page[data-status=acknowledged]');
    await a!.fill('input[name=handoverTo]', 'wang.fang');
    await a!.fill('textarea[name=handoverNote]', 'Daughter calls back at 10:30');
    await a!.click('[data-action=handover]');
    await a!.waitForSelector('.tl-handed_over');
    await expect(a!.locator('.tl-handed_over').textContent()).resolves.toContain('Daughter calls back at 10:30');

    // Wang Fang finds it under "held by me", with the holder in the row, and releases it.
    await b!.selectOption('.queue-filter select', 'mine');
    const row = b!.locator(`a.queue-row[data-alert-id="${sos.id}"]`);
    await row.waitFor();
    await expect(row.locator('.col-status').textContent()).resolves.toContain('wang.fang');
    await row.click();
    await b!.click('[data-action=release]');
    await b!.waitForSelector('article.alert-page[data-status=open]');

    // Li Na claims it again; ten minutes on (the hub's timer, tests/after-acknowledgement.test.ts) it stalls.
    await a!.waitForSelector('article.alert-page[data-status=open]');
    await a!.click('[data-action=acknowledge]');
    await a!.waitForSelector('article.alert-page[data-status=acknowledged]');
    await expect.poll(() => alarm(a!)).toBe('off');
    await setHidden(a!, true);
    await hub.hub.alerts.record('alert.stalled', { alertId: sos.id, stage: 'holder', holder: 'user:li.na' }).durable;
    await expect.poll(() => alarm(a!)).toBe('on');
    // In another window: the desktop notification says so too.
    await expect.poll(async () => (await notificationsShown(a!)).map((n) => n.title)).toEqual(['SOS — no dispatch yet']);
    await setHidden(a!, false);
    await a!.waitForSelector('.shift-actions [data-flag=stalled]');
    await b!.goto(`${hub.httpUrl}/#/queue`);
    await b!.selectOption('.queue-filter select', 'unresolved');
    await b!.waitForSelector(`a.queue-row[data-alert-id="${sos.id}"] [data-flag=stalled]`);
    expect(await alarm(b!)).toBe('off');
    expect(await alarm(c!)).toBe('off');
    await hub.hub.alerts.record('alert.stalled', { alertId: sos.id, stage: 'supervisor', holder: 'user:li.na' }).durable;
    await expect.poll(() => alarm(c!)).toBe('on');
    expect(await alarm(b!)).toBe('off');

    // The handover page: who is here, nothing unclaimed, Li Na holding the SOS.
    await c!.click('nav a[href="#/handover"]');
    await c!.waitForSelector(`[data-list=held] [data-holder="user:li.na"] [data-alert-id="${sos.id}"]`);
    await c!.waitForSelector('.presence-list [data-username="wang.fang"][data-presence=away]');
    await docScreenshot(c!, 'handover.png', { fullPage: true });
    expect(errors.flat()).toEqual([]);
  }, 180_000);

  it('call-backs: agenda, logging an outcome, scheduling, a weekly wellbeing call; the supervisor reviews and reads the reports', async () => {
    // Daytime for the hub and the browsers: after 23:45 a call-back due in 15 min is on tomorrow's agenda.
    const zone = middayZone();
    const hub = keep(await startTestHub({ env: { HUB_TIMEZONE: zone } }), closeHub);
    const liNa = await createUser(hub, 'operator', 'li.na', 'Li Na');
    const chenJie = await createUser(hub, 'supervisor', 'chen.jie', 'Chen Jie');
    const { homeId, devices } = await provisionRichHome(hub);
    // A fall the wearer cancelled: its call-back is due in 15 min and so on today's agenda.
    const fall = await raise(hub, homeId, devices[0]!.id, 'fall', 1_000);
    hub.hub.intake.submit({ kind: 'fall', severity: 'medium', title: 'Fall cancelled', homeId, deviceId: devices[0]!.id, effect: 'set_severity' }, { deviceId: devices[0]!.id, eventType: 'fall_cancelled', at: new Date().toISOString() });
    await hub.hub.journal.whenDurable();
    // A resolved SOS, for the supervisor's review.
    const sos = await raise(hub, homeId, devices[0]!.id, 'sos', 120_000);
    await hub.hub.lifecycle.acknowledge(sos.id, 'user:li.na');
    await hub.hub.lifecycle.resolve(sos.id, 'user:li.na', 'emergency_handled');

    const browser = keep(await launchChromium(), closeBrowser);
    // This operator works in Chinese: the page must say so in Chinese too.
    const page = await (await newDesk(browser, 'zh-CN', zone)).newPage();
    const errors = pageErrors(page);
    await logIn(page, hub.httpUrl, liNa);
    await page.click('nav a[href="#/callbacks"]');
    await expect(page.locator('#callbacks-title').textContent()).resolves.toBe('回访');
    const agendaRow = page.locator('[data-list=agenda] tr[data-reason=fall_cancelled]');
    await agendaRow.waitFor();
    await expect(agendaRow.textContent()).resolves.toContain('Wang Lan');
    await expect(agendaRow.textContent()).resolves.toContain('佩戴者取消了跌倒告警');

    // Schedule one for later today, then log the fall's call.
    await page.selectOption('select[name=callbackHome]', homeId);
    await page.fill('input[name=dueAt]', '2099-01-01T10:00');
    await page.fill('input[name=callbackNote]', 'Ask about the new medication');
    await page.click('[data-action=schedule-callback]');
    await page.waitForSelector('[data-list=later] tr[data-reason=manual]');
    await docScreenshot(page, 'callbacks-zh-CN.png', { fullPage: true });
    await agendaRow.locator('select[name=outcome]').selectOption('reached_ok');
    await agendaRow.locator('input[name=note]').fill('She is fine, slipped on the mat');
    await agendaRow.locator('[data-action=log-call]').click();
    await page.waitForSelector('[data-list=agenda] tr[data-reason=fall_cancelled]', { state: 'detached' });
    expect(hub.hub.callbackStore.forAlert(fall.id)).toMatchObject({ status: 'done', outcome: 'reached_ok', completedBy: 'user:li.na' });

    // A weekly wellbeing call.
    await page.selectOption('select[name=planHome]', homeId);
    await page.fill('input[name=everyDays]', '7');
    await page.fill('input[name=firstDueAt]', '2099-01-02T09:30');
    await page.fill('input[name=planNote]', 'Weekly chat');
    await page.click('[data-action=start-plan]');
    await page.waitForSelector('.plans li[data-plan-id]');
    await page.waitForSelector('[data-list=later] tr[data-reason=wellbeing]');

    // The supervisor reviews the SOS and finds it in the reports.
    const boss = await (await newDesk(browser, 'en-US', zone)).newPage();
    const bossErrors = pageErrors(boss);
    await logIn(boss, hub.httpUrl, chenJie);
    await boss.waitForSelector(`.report-reviews [data-list=awaiting] [data-alert-id="${sos.id}"]`);
    await boss.click(`.report-reviews [data-list=awaiting] [data-alert-id="${sos.id}"] a`);
    await boss.waitForSelector('.review-panel[data-reviewed=false]');
    await boss.fill('textarea[name=whatHappened]', 'Pressed SOS after a dizzy spell');
    await boss.fill('textarea[name=toImprove]', 'Call the daughter earlier');
    await boss.check('input[name=targetsMet]');
    await boss.click('[data-action=review]');
    await boss.waitForSelector('.review-panel[data-reviewed=true] .review-times');
    await boss.click('nav a[href="#/reports"]');
    await boss.waitForSelector(`.report-reviews [data-list=reviewed] [data-alert-id="${sos.id}"]`);
    await expect(boss.locator('.report-callbacks tr[data-reason=all] [data-field=on-time]').textContent()).resolves.toMatch(/^1 ·/);
    await boss.waitForSelector('.report-follow-up [data-field=stalled-holder]');
    await docScreenshot(boss, 'reports-shifts.png', { fullPage: true });
    expect([...errors, ...bossErrors]).toEqual([]);
  }, 180_000);
});
