/**
 * Couples in a real browser against a real hub (issue 13 item 12): an
 * installer adds a second resident to a live home and registers her own
 * bracelet; then an operator sees her SOS named after her — in the queue,
 * the alert's heading and the resident card, which also shows who else lives
 * there — and a smoke alarm named after the home with both residents.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from '../helpers/cleanup.js';
import { connectDevice } from '../helpers/mqtt-device.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { drawsChinese } from './cjk.js';
import {
  HAVE_CHROMIUM,
  NO_CHROMIUM_REASON,
  closeBrowser,
  createUser,
  docScreenshot,
  ensureDashboardBuilt,
  launchChromium,
  logIn,
  newDesk,
  pageErrors,
  provisionRichHome,
} from './harness.js';

const keep = useCleanup();
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

async function publishEvent(hub: TestHub, device: { id: string; secret: string }, type: string) {
  const client = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
  await client.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type, seq: 1 }), { qos: 1 });
  await endClient(client);
}

describe.skipIf(!HAVE_CHROMIUM)('couples walk (real chromium, real hub, devices over MQTT)', () => {
  it('adds a second resident with her own bracelet; her SOS names her, a smoke alarm names the home and both', async () => {
    const [hub] = await Promise.all([startTestHub().then((h) => keep(h, closeHub)), ensureDashboardBuilt()]);
    const { homeId, devices } = await provisionRichHome(hub, { kinds: ['bracelet', 'smoke_sensor'] });
    const [, smoke] = devices as [unknown, { id: string; secret: string }];
    const installer = await createUser(hub, 'installer', 'he.jun', 'He Jun');
    const operator = await createUser(hub, 'operator', 'zhang.wei', 'Zhang Wei');
    const browser = keep(await launchChromium(), closeBrowser);

    // ── the installer: a second resident, and her own bracelet ──
    const setUp = await (await newDesk(browser)).newPage();
    const setUpErrors = pageErrors(setUp);
    await logIn(setUp, hub.httpUrl, installer);
    await setUp.goto(`${hub.httpUrl}/#/install/homes/${homeId}`);
    const card = setUp.locator('.household');
    await card.waitFor();
    expect(await card.getAttribute('data-residents')).toBe('1');
    await card.locator('.add-resident summary').click();
    await card.locator('input[name=name]').fill('Li Wei');
    await card.locator('input[name=birthYear]').fill('1939');
    await card.locator('[data-action=add-resident]').click();
    await expect.poll(() => card.getAttribute('data-residents')).toBe('2');
    await expect.poll(() => card.locator('.household-list li').allTextContents()).toEqual([expect.stringContaining('Wang Lan'), expect.stringContaining('Li Wei')]);
    // The bracelet the home had is now the first resident's.
    expect(await card.locator('.wearer strong').allTextContents()).toEqual(['Wang Lan']);

    // Registering a bracelet in a couple's home asks whose it is; the newest resident is offered first.
    await setUp.selectOption('.register-form select[name=kind]', 'bracelet');
    const wearer = setUp.locator('.register-form select[name=residentId]');
    await wearer.waitFor();
    expect(await wearer.locator('option:checked').textContent()).toBe('Li Wei');
    await setUp.fill('.register-form input[name=serial]', 'BR-LI-WEI-01');
    await setUp.click('[data-action=register]');
    const panel = setUp.locator('.credentials');
    await panel.waitFor();
    const braceletB = { id: (await panel.locator('[data-cred=deviceId]').textContent())!, secret: (await panel.locator('[data-cred=secret]').textContent())! };
    await setUp.click('[data-action=hide-credentials]');
    await expect.poll(() => card.locator(`.wearer[data-device-id="${braceletB.id}"] strong`).textContent()).toBe('Li Wei');
    await docScreenshot(setUp, 'couple-installer.png', { fullPage: true });
    expect(setUpErrors).toEqual([]);

    // ── the operator: whom each alert is about ──
    const page = await (await newDesk(browser)).newPage();
    const errors = pageErrors(page);
    await logIn(page, hub.httpUrl, operator);
    await publishEvent(hub, braceletB, 'sos');
    const sosRow = page.locator('a.queue-row.sev-critical');
    await sosRow.waitFor();
    await expect.poll(() => sosRow.locator('.col-resident').textContent()).toBe('Li Wei');
    await publishEvent(hub, smoke, 'smoke');
    await expect.poll(() => page.locator('a.queue-row').count()).toBe(2);
    const rows = await page.locator('a.queue-row .col-resident').allTextContents();
    expect(rows.sort()).toEqual(['Li Wei', 'Wang Lan & Li Wei']);

    await page.locator('a.queue-row', { hasText: 'Li Wei' }).filter({ hasNotText: '&' }).click();
    await page.waitForSelector('.alert-page');
    await expect.poll(() => page.locator('.alert-header h1').textContent()).toContain('Li Wei');
    await expect.poll(() => page.locator('#resident-name').textContent()).toBe('Li Wei');
    expect(await page.locator('.also-here').textContent()).toContain('Wang Lan');
    await docScreenshot(page, 'couple-alert.png');

    await page.goBack();
    await page.locator('a.queue-row', { hasText: '&' }).click();
    await page.waitForSelector('.resident-card.home-alarm');
    expect(await page.locator('#resident-name').textContent()).toBe('Alarm of the whole home');
    expect(await page.locator('.lives-here').textContent()).toMatch(/Wang Lan.*Li Wei/);
    // The first resident's access notes and contacts: what a responder to a fire needs.
    expect(await page.locator('.home-alarm .access').textContent()).toContain('Key safe');
    expect(await page.locator('.home-alarm .contacts li').count()).toBe(3);
    expect(errors).toEqual([]);

    // In Chinese, drawn with a CJK font: the home alarm's card and the installer's residents card.
    const zh = await (await newDesk(browser, 'zh-CN')).newPage();
    await logIn(zh, hub.httpUrl, operator);
    await zh.goto(page.url());
    await zh.waitForSelector('.resident-card.home-alarm');
    expect(await zh.locator('#resident-name').textContent()).toBe('整户报警');
    await expect(drawsChinese(zh, '#resident-name')).resolves.toMatchObject({ differs: true, inked: true });
    await docScreenshot(zh, 'couple-alert-zh-CN.png');
  }, 120_000);
});
