/**
 * Location in the console (issue 13 item 4), in a real browser against a real
 * hub with a bracelet and a door sensor over real MQTT:
 * - a night exit (resident with dementia) shows the bracelet's latest GPS fix
 *   on the alert page: accuracy, distance from home, geo: and OpenStreetMap
 *   links, and an age that counts up live; a newer fix replaces it live
 *   (stream) and the age starts again — and no request leaves the hub (no
 *   map tiles);
 * - the family page shows the same, in Chinese, for their own relative only;
 * - the installer sets the home's coordinates on the home page: a bad value
 *   is named next to the field, a good one is saved.
 */
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endClient, useCleanup } from '../helpers/cleanup.js';
import { connectDevice } from '../helpers/mqtt-device.js';
import type { TestHub } from '../helpers/test-hub.js';
import { ADMIN, HAVE_CHROMIUM, NO_CHROMIUM_REASON, createUser, docScreenshot, startHubAndBrowser, logIn, newDesk, pageErrors, provisionRichHome, type Person } from './harness.js';
import type { Browser } from 'playwright-core';
import { contrastProblems } from './axe.js';

const keep = useCleanup();
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

const HOME = { lat: 30.657, lon: 104.066 };
const FIRST = { lat: 30.6612, lon: 104.0721, accuracyM: 20 };
const SECOND = { lat: 30.6655, lon: 104.0802, accuracyM: 35 };
/** A 400 the test provoked is logged by chromium as a failed resource load; anything else is a real error. */
const unexpected = (errors: string[]) => errors.filter((e) => !e.includes('status of 400'));

/** Every URL the page asked for that is not the hub's own: map tiles would show up here. */
function foreignRequests(page: Page, hubUrl: string): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(hubUrl) && !r.url().startsWith('ws://127.0.0.1') && !r.url().startsWith('data:')) seen.push(r.url());
  });
  return seen;
}

/** The age's text now, and a promise that it moves on (the live tick). */
async function ageTicks(page: Page): Promise<void> {
  const age = page.locator('.location-card .fix-age');
  const first = await age.textContent();
  expect(first).toMatch(/^\d+:\d\d$/);
  await expect.poll(() => age.textContent(), { timeout: 5_000 }).not.toBe(first);
}

describe.skipIf(!HAVE_CHROMIUM)('location in the console (real chromium, real hub, real MQTT)', () => {
  let hub: TestHub;
  let browser: Browser;
  let homeId: string;
  let bracelet: MqttClient;
  let braceletId: string;
  let alertId: string;
  const family: Person = { username: 'li.ming', password: 'li.ming-password-1', displayName: 'Li Ming' };

  const sendFix = (location: unknown) => bracelet.publishAsync(`hc/v1/${braceletId}/telemetry`, JSON.stringify({ heartRate: 96, worn: true, location }), { qos: 1 });

  beforeAll(async () => {
    [hub, browser] = await startHubAndBrowser();
    const home = await provisionRichHome(hub, { kinds: ['bracelet', 'door_sensor'] });
    homeId = home.homeId;
    expect((await hub.api.request('PUT', `/api/v1/homes/${homeId}/geo`, HOME)).status).toBe(200);
    // A night window covering the whole day, so the walk does not depend on the hour it runs at.
    expect((await hub.api.request('PUT', `/api/v1/homes/${homeId}/rule-settings/night_exit`, { nightStart: '00:00', nightEnd: '23:59' })).status).toBe(200);
    const created = await hub.api.post('/api/v1/users', { ...family, role: 'family' });
    expect((await hub.api.request('PUT', `/api/v1/homes/${homeId}/family/${created.body.id}`)).status).toBe(200);
    const [b, d] = home.devices as [(typeof home.devices)[0], (typeof home.devices)[0]];
    braceletId = b.id;
    bracelet = keep(await connectDevice(hub.mqttUrl, b.id, b.secret), endClient);
    const door = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
    await sendFix(FIRST);
    await door.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'open', seq: 1 }), { qos: 1 });
    alertId = hub.hub.alerts.list({ kind: 'night_exit' })[0]!.id;
  }, 120_000);

  /** The night exit's page for this person in this browser language, once its GPS card is there. */
  async function openAlertPage(person: Person, locale: string) {
    const page = await (await newDesk(browser, locale)).newPage();
    const errors = pageErrors(page);
    const foreign = foreignRequests(page, hub.httpUrl);
    await logIn(page, hub.httpUrl, person);
    await page.goto(`${hub.httpUrl}/#/alerts/${encodeURIComponent(alertId)}`);
    const card = page.locator('.location-card[data-location=gps]');
    await card.waitFor();
    return { page, card, errors, foreign };
  }

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('shows the night exit\'s latest fix with distance, map links and a live age, and follows a new fix live; loads nothing from outside', async () => {
    const operator = await createUser(hub, 'operator', 'li.na', 'Li Na');
    const { page, card, errors, foreign } = await openAlertPage(operator, 'en-US');
    await expect(card.locator('h2').textContent()).resolves.toBe('Latest position');
    await expect(card.locator('[data-field=coords]').textContent()).resolves.toBe('30.66120, 104.07210 (± 20 m)');
    await expect(card.locator('[data-field=distance]').textContent()).resolves.toBe('747 m from home');
    expect(await card.locator('[data-action=open-map-app]').getAttribute('href')).toBe('geo:30.661200,104.072100;u=20');
    expect(await card.locator('[data-action=open-map-web]').getAttribute('href')).toBe('https://www.openstreetmap.org/?mlat=30.661200&mlon=104.072100#map=17/30.661200/104.072100');
    await ageTicks(page);

    // The wearer walks on: the card follows without a reload, and the age starts again.
    await page.waitForSelector('[data-stream=live]');
    await sendFix(SECOND);
    await expect.poll(() => card.locator('[data-field=coords]').textContent(), { timeout: 10_000 }).toBe('30.66550, 104.08020 (± 35 m)');
    await expect(card.locator('[data-field=distance]').textContent()).resolves.toBe('1.7 km from home');
    await expect.poll(() => card.locator('.fix-age').textContent()).toMatch(/^0:0\d$/);
    await ageTicks(page);
    await expect(page.locator('.timeline').textContent()).resolves.toContain('Moved');
    await docScreenshot(page, 'alert-location.png');
    expect(await contrastProblems(page)).toEqual([]);
    expect(foreign).toEqual([]);
    expect(unexpected(errors)).toEqual([]);
  });

  it('shows the family their relative\'s latest fix in Chinese, with distance and a live age', async () => {
    const page = await (await newDesk(browser, 'zh-CN')).newPage();
    const errors = pageErrors(page);
    const foreign = foreignRequests(page, hub.httpUrl);
    await logIn(page, hub.httpUrl, family);
    const card = page.locator(`.family-alert[data-alert-id="${alertId}"] .location-card[data-location=gps]`);
    await card.waitFor();
    await expect(card.locator('h3').textContent()).resolves.toBe('最新位置');
    // Whichever fix is the latest (the operator's walk may have moved it on): the hub's figure, in Chinese words.
    const { distanceM } = hub.hub.alerts.get(alertId)!.location as { distanceM: number };
    await expect(card.locator('[data-field=distance]').textContent()).resolves.toBe(distanceM < 1000 ? `距家 ${distanceM} 米` : `距家 ${(distanceM / 1000).toFixed(1)} 公里`);
    await expect(card.locator('[data-action=open-map-app]').textContent()).resolves.toBe('在地图应用中打开');
    await ageTicks(page);
    await docScreenshot(page, 'family-location-zh-CN.png', { fullPage: true });
    expect(await contrastProblems(page)).toEqual([]);

    // The operator's alert page in Chinese: the same card, the same live age.
    const { page: desk, card: deskCard, errors: deskErrors, foreign: deskForeign } = await openAlertPage(ADMIN, 'zh-CN');
    await expect(deskCard.locator('h2').textContent()).resolves.toBe('最新位置');
    await expect(deskCard.locator('[data-field=coords]').textContent()).resolves.toMatch(/（误差 ± \d+ 米）$/);
    await expect(deskCard.locator('[data-action=open-map-web]').textContent()).resolves.toBe('在 OpenStreetMap 中打开');
    await ageTicks(desk);
    await docScreenshot(desk, 'alert-location-zh-CN.png');
    expect([...foreign, ...deskForeign]).toEqual([]);
    expect(unexpected([...errors, ...deskErrors])).toEqual([]);
  });

  it('lets the installer set the home\'s coordinates: a bad value named at its field, a good one saved', async () => {
    const installer = await createUser(hub, 'installer', 'zhang.wei', 'Zhang Wei');
    const page = await (await newDesk(browser)).newPage();
    const errors = pageErrors(page);
    await logIn(page, hub.httpUrl, installer);
    await page.goto(`${hub.httpUrl}/#/install/homes/${encodeURIComponent(homeId)}`);
    const form = page.locator('form.home-geo-form');
    await form.waitFor();
    expect(await form.locator('input[name=lat]').inputValue()).toBe('30.657');
    await form.locator('input[name=lat]').fill('95');
    await form.locator('[data-action=save-geo]').click();
    await expect.poll(() => form.locator('input[name=lat]').getAttribute('aria-invalid')).toBe('true');
    await expect(form.textContent()).resolves.toContain('latitude must be between -90 and 90');
    expect(hub.hub.registry.getHome(homeId)!.geo).toEqual(HOME);

    await form.locator('input[name=lat]').fill('30.6601');
    await form.locator('[data-action=save-geo]').click();
    await form.locator('[data-field=geo-saved]').waitFor();
    expect(hub.hub.registry.getHome(homeId)!.geo).toEqual({ lat: 30.6601, lon: HOME.lon });
    expect(unexpected(errors)).toEqual([]);
  });
});
