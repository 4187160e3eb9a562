/**
 * Issue 10, item 13 in a real browser: an installer opens the home being
 * installed and sees, on the device's card, the payloads the hub dropped as
 * bad — how many, the last one's reason and detail — in English and in
 * Chinese; a device that sent nothing bad says "none".
 */
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from '../helpers/cleanup.js';
import { connectDevice } from '../helpers/mqtt-device.js';
import { startTestHub } from '../helpers/test-hub.js';
import { HAVE_CHROMIUM, NO_CHROMIUM_REASON, closeBrowser, createUser, ensureDashboardBuilt, launchChromium, logIn, newDesk, pageErrors } from './harness.js';

const keep = useCleanup();
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

describe.skipIf(!HAVE_CHROMIUM)('bad payloads on the installer page (real chromium, real hub, real MQTT)', () => {
  it("shows a device's dropped payloads with the last reason, in both languages", async () => {
    const [hub] = await Promise.all([startTestHub().then((h) => keep(h, closeHub)), ensureDashboardBuilt()]);
    const installer = await createUser(hub, 'installer', 'he.jun', 'He Jun');
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet', 'door_sensor'], live: false });
    const [bracelet, door] = [devices[0]!, devices[1]!];
    const client = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
    // QoS 1: handled by the hub before the PUBACK.
    await client.publishAsync(`hc/v1/${bracelet.id}/event`, 'ping?', { qos: 1 });
    await client.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'fall', confidence: 'high' }), { qos: 1 });
    expect(client.connected).toBe(true);

    const browser = keep(await launchChromium(), closeBrowser);
    // "the last <how long ago>": the time in words depends on how long the machine took to get here.
    for (const [locale, count] of [
      ['en-US', /^2 dropped, the last .+: wrong shape$/],
      ['zh-CN', /^已丢弃 2 条，最近一次 .+：格式不符$/],
    ] as const) {
      const page = await (await newDesk(browser, locale)).newPage();
      const errors = pageErrors(page);
      await logIn(page, hub.httpUrl, installer);
      await page.goto(`${hub.httpUrl}/#/install/homes/${homeId}`);
      const bad = page.locator(`.device-check[data-device-id="${bracelet.id}"] [data-field=badPayloads]`);
      await bad.locator('.warn-text').waitFor();
      expect(await bad.getAttribute('data-count')).toBe('2');
      expect(await bad.locator('.warn-text').textContent()).toMatch(count);
      expect(await bad.locator('[data-field=badPayloadDetail]').textContent()).toContain('confidence');
      const none = page.locator(`.device-check[data-device-id="${door.id}"] [data-field=badPayloads]`);
      expect(await none.getAttribute('data-count')).toBe('0');
      expect(await none.textContent()).toBe(locale === 'en-US' ? 'none' : '无');
      expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
      await page.context().close();
    }
  }, 120_000);
});
