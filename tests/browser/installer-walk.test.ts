/**
 * An installer's whole job in a real browser against a real hub, with four
 * simulated devices over real MQTT (issue 5, "Done when"): log in → land on
 * the installations → create the home, resident and contacts (a bad phone is
 * named next to its field) → register a bracelet, smoke sensor, gas alarm and
 * door sensor (credentials once, with the QR code) → the devices connect with
 * those credentials and press each test button: the checklist ticks live, no
 * alert is raised → go live. Then device care on the live home: renew a
 * secret (the device is disconnected), replace, move and revoke.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { findDeviceKind } from '../../devices/catalog.js';
import { SimulatedDevice } from '../../simulators/simulated-device.js';
import { closeHub, useCleanup } from '../helpers/cleanup.js';
import { startTestHub } from '../helpers/test-hub.js';
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
} from './harness.js';

const keep = useCleanup();
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

const KINDS = [
  { kind: 'bracelet', serial: 'BR-2026-0001', tests: ['sos', 'fall'] },
  { kind: 'smoke_sensor', serial: 'SM-2026-0001', tests: ['test'] },
  { kind: 'gas_alarm', serial: 'GA-2026-0001', tests: ['test'] },
  { kind: 'door_sensor', serial: 'DS-2026-0001', tests: ['open', 'close'] },
] as const;

/** Registers one device through the form; returns the credentials the panel showed once. */
async function register(page: Page, kind: string, serial: string): Promise<{ id: string; secret: string }> {
  await page.selectOption('.register-form select[name=kind]', kind);
  await page.fill('.register-form input[name=serial]', serial);
  await page.click('[data-action=register]');
  const panel = page.locator(`.credentials`);
  await panel.waitFor();
  const id = (await panel.locator('[data-cred=deviceId]').textContent())!;
  const secret = (await panel.locator('[data-cred=secret]').textContent())!;
  expect(await panel.locator('.creds-warning').textContent()).toContain('will not be shown again');
  expect(await panel.locator('.qr img').getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
  // The panel takes focus: it is the one chance to copy the secret.
  await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('creds-title');
  await page.locator(`.device-check[data-device-id="${id}"]`).waitFor();
  return { id, secret };
}

describe.skipIf(!HAVE_CHROMIUM)('installer walk (real chromium, real hub, four simulated devices over MQTT)', () => {
  it('creates the home, registers four devices, ticks every check live, goes live; then renews, replaces, moves and revokes', async () => {
    const [hub] = await Promise.all([startTestHub().then((h) => keep(h, closeHub)), ensureDashboardBuilt()]);
    const installer = await createUser(hub, 'installer', 'he.jun', 'He Jun');
    const browser = keep(await launchChromium(), closeBrowser);
    const page = await (await newDesk(browser)).newPage();
    const errors = pageErrors(page);

    await logIn(page, hub.httpUrl, installer);
    await page.waitForSelector('[data-page=install-list]');
    expect(page.url()).toMatch(/#\/install$/);

    // The home, resident and contacts; the hub's 400 lands next to the bad field.
    await page.click('[data-action=new-home]');
    await page.waitForSelector('[data-page=install-new]');
    await page.fill('input[name=name]', 'Chen home');
    await page.fill('input[name=address]', '8 Huaihai Rd, Apt 5-302');
    await page.fill('input[name=community]', 'Huaihai Community');
    await page.fill('input[name="resident.name"]', 'Chen Mei');
    await page.fill('input[name="resident.birthYear"]', '1938');
    await page.selectOption('select[name="resident.gender"]', 'female');
    await page.fill('input[name="resident.phone"]', '+86 138 0000 2222');
    await page.fill('textarea[name="resident.accessNotes"]', 'Key safe right of the door, code 2580.');
    await page.check('input[name="resident.conditions"][value=hypertension]');
    await page.check('input[name="resident.specialHardship"]');
    await page.fill('input[name=contact-0-name]', 'Chen Jun');
    await page.fill('input[name=contact-0-relation]', 'son');
    await page.fill('input[name=contact-0-phone]', 'call me');
    await page.check('input[name=contact-0-keys]');
    await page.click('[data-action=create-home]');
    const phoneError = page.locator('[data-field="resident.contacts.0.phone"] .field-error');
    await phoneError.waitFor();
    expect(await phoneError.textContent()).toContain('must be a phone number');
    expect(await page.locator('input[name=contact-0-phone]').getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('contact-0-phone');
    await page.fill('input[name=contact-0-phone]', '+86 139 5555 6666');
    await page.click('[data-action=create-home]');
    await page.waitForSelector('[data-page=install-home][data-status=installing]');
    const homeId = (await page.locator('[data-page=install-home]').getAttribute('data-home-id'))!;
    const stored = hub.hub.registry.getResident(hub.hub.registry.requireHome(homeId).residentId)!;
    expect(stored).toMatchObject({ name: 'Chen Mei', birthYear: 1938, specialHardship: true, conditions: ['hypertension'] });
    expect(stored.contacts).toMatchObject([{ name: 'Chen Jun', relation: 'son', phone: '+86 139 5555 6666', hasKeys: true }]);

    // Four devices, credentials once each.
    const devices: { kind: string; id: string; secret: string; tests: readonly string[] }[] = [];
    for (const spec of KINDS) {
      devices.push({ kind: spec.kind, tests: spec.tests, ...(await register(page, spec.kind, spec.serial)) });
      await page.click('[data-action=hide-credentials]');
      expect(await page.locator('.credentials').count()).toBe(0);
    }
    expect(await page.locator('.device-check').count()).toBe(4);
    expect(await page.locator('[data-action=go-live]').isDisabled()).toBe(true);

    // The installer switches each device on and presses its test buttons: the checklist ticks live.
    const sims = devices.map((d) =>
      keep(new SimulatedDevice({ url: hub.mqttUrl, deviceId: d.id, secret: d.secret, kind: findDeviceKind(d.kind)!, heartbeats: false, reconnectPeriodMs: 200 }), (s) => s.stop()),
    );
    for (const sim of sims) sim.start();
    await Promise.all(sims.map((s) => s.waitForConnect()));
    for (const d of devices) await page.locator(`.device-check[data-device-id="${d.id}"] [data-check=connected][data-done=true]`).waitFor();
    let worstTickMs = 0;
    for (const [i, d] of devices.entries()) {
      const sim = sims[i]!;
      const card = page.locator(`.device-check[data-device-id="${d.id}"]`);
      await sim.heartbeat({ rssi: i === 3 ? -88 : -63 });
      // The docs' screenshot: three devices passed, the door sensor still to test, go-live still refused.
      if (i === 3) {
        await card.locator('[data-check=heartbeat][data-done=true]').waitFor();
        await expect.poll(() => card.locator('[data-field=signal]').textContent()).toBe('weak (-88 dBm)');
        await docScreenshot(page, 'installer.png');
      }
      for (const event of d.tests) {
        const sent = Date.now();
        await sim.sendEvent(event);
        await card.locator(`[data-check="event:${event}"][data-done=true]`).waitFor({ timeout: 3_000 });
        worstTickMs = Math.max(worstTickMs, Date.now() - sent);
      }
      await card.locator('[data-check=heartbeat][data-done=true]').waitFor();
      await page.waitForSelector(`.device-check[data-device-id="${d.id}"][data-passed=true]`);
      await expect.poll(() => card.locator('[data-field=signal]').textContent()).toContain(i === 3 ? 'weak (-88 dBm)' : 'good (-63 dBm)');
    }
    // Test mode: the SOS, fall and test buttons raised no real alert.
    expect(hub.hub.alerts.list({ homeIds: new Set([homeId]) })).toEqual([]);
    await page.waitForSelector('[data-action=go-live]:not([disabled])');

    await page.click('[data-action=go-live]');
    await page.waitForSelector('.go-live[data-home-status=live]');
    expect(hub.hub.registry.requireHome(homeId).status).toBe('live');

    // Renew the door sensor's secret: new credentials once, and the device is disconnected at once.
    const door = devices[3]!;
    const doorSim = sims[3]!;
    const closed = new Promise<void>((resolve) => doorSim.once('close', () => resolve()));
    const doorCard = page.locator(`.device-check[data-device-id="${door.id}"]`);
    await doorCard.locator('[data-action=open-rotate]').click();
    await doorCard.locator('[data-action=rotate]').click();
    await page.locator(`.credentials[data-device-id="${door.id}"]`).waitFor();
    const renewed = await page.locator('.credentials [data-cred=secret]').textContent();
    expect(renewed).not.toBe(door.secret);
    await closed;
    await page.click('[data-action=hide-credentials]');

    // Replace the gas alarm: a new device with its own credentials; the old one leaves the checklist.
    const gas = devices[2]!;
    const gasCard = page.locator(`.device-check[data-device-id="${gas.id}"]`);
    await gasCard.locator('[data-action=open-replace]').click();
    await gasCard.locator('input[name=serial]').fill('GA-2026-0002');
    await gasCard.locator('[data-action=replace]').click();
    const replacement = (await page.locator('.credentials').getAttribute('data-device-id'))!;
    expect(replacement).not.toBe(gas.id);
    await page.locator(`.device-check[data-device-id="${replacement}"]`).waitFor();
    await gasCard.waitFor({ state: 'detached' });
    await page.click('[data-action=hide-credentials]');

    // Move the bracelet to another home (its wearer moved in with her son).
    const other = await hub.api.post('/api/v1/homes', { name: 'Chen Jun home', address: '3 Fuxing Rd', resident: { name: 'Chen Jun', birthYear: 1968 } });
    expect(other.status).toBe(201);
    await page.reload();
    const bracelet = devices[0]!;
    const braceletCard = page.locator(`.device-check[data-device-id="${bracelet.id}"]`);
    await braceletCard.locator('[data-action=open-move]').click();
    await braceletCard.locator('select[name=homeId]').selectOption(other.body.id as string);
    await braceletCard.locator('[data-action=move]').click();
    await braceletCard.waitFor({ state: 'detached' });
    expect(hub.hub.registry.getDevice(bracelet.id)!.homeId).toBe(other.body.id);

    // Revoke the smoke sensor: a too-short reason is named, then it is disconnected and gone from the list.
    const smoke = devices[1]!;
    const smokeClosed = new Promise<void>((resolve) => sims[1]!.once('close', () => resolve()));
    const smokeCard = page.locator(`.device-check[data-device-id="${smoke.id}"]`);
    await smokeCard.locator('[data-action=open-revoke]').click();
    await smokeCard.locator('input[name=reason]').fill('x');
    await smokeCard.locator('[data-action=revoke]').click();
    await smokeCard.locator('[data-field=reason] .field-error').waitFor();
    await smokeCard.locator('input[name=reason]').fill('sensor cracked on install');
    await smokeCard.locator('[data-action=revoke]').click();
    await smokeCard.waitFor({ state: 'detached' });
    await smokeClosed;
    expect(hub.hub.registry.getDevice(smoke.id)!.revokedAt).toBeTruthy();

    // Installers never see medical notes, even of the home they installed.
    const me = await page.evaluate(() => fetch('/api/v1/homes').then((r) => r.json()));
    expect(JSON.stringify(me)).not.toContain('hypertension');

    expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
    console.log(`installer walk: worst commissioning tick shown ${worstTickMs} ms after the device's PUBACK`);
  }, 120_000);
});
