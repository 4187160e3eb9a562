/**
 * The operator's whole job once, in a real browser against a real hub with a
 * bracelet over real MQTT (issue 4, "Done when"): log in → an SOS appears in
 * the queue within 2 s with the alarm on → acknowledge → the bracelet hears
 * `help_coming` and confirms it → dispatch a community worker → resolve as
 * resident_ok → the audit shows every step with the operator's name. Takes
 * the README's screenshots on the way.
 */
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { findDeviceKind } from '../../devices/catalog.js';
import type { DeviceCommand } from '../../devices/commands.js';
import { SimulatedDevice } from '../../simulators/simulated-device.js';
import { closeHub, useCleanup } from '../helpers/cleanup.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import {
  ADMIN,
  HAVE_CHROMIUM,
  NO_CHROMIUM_REASON,
  backfillBraceletDay,
  closeBrowser,
  createUser,
  ensureDashboardBuilt,
  launchChromium,
  logIn,
  newDesk,
  provisionRichHome,
} from './harness.js';

const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
/** Screenshots for the docs are refreshed on request only, so a normal test run leaves tracked files alone. */
const shoot = (page: { screenshot(o: { path: string }): Promise<unknown> }, name: string) =>
  process.env.HUB_SCREENSHOTS === '1' ? page.screenshot({ path: `${SCREENSHOTS}${name}` }) : page.screenshot({ path: `${tmpdir()}/hub-${process.pid}-${name}` }).then(() => rm(`${tmpdir()}/hub-${process.pid}-${name}`, { force: true }));
const keep = useCleanup();

if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

/** A few other alerts of various ages so the queue shows its order and SLA colours. */
async function otherAlerts(hub: TestHub): Promise<void> {
  const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();
  const specs = [
    { kind: 'heart_rate', severity: 'high', title: 'Heart rate 128 bpm for 10 min', resident: 'Zhang Wei', age: 75 },
    { kind: 'door_open', severity: 'medium', title: 'Door left open for more than 30 min', resident: 'Liu Fang', age: 200 },
    { kind: 'device_offline', severity: 'low', title: 'Gas alarm offline', resident: 'Chen Jie', age: 20 },
    { kind: 'fall', severity: 'critical', title: 'Fall detected', resident: 'Zhao Li', age: 400, ack: true },
  ] as const;
  for (const spec of specs) {
    const { homeId, devices } = await provisionRichHome(hub, { name: `${spec.resident.split(' ')[0]} home`, resident: spec.resident, address: `${10 + spec.age} Renmin Rd` });
    const deviceId = devices[0]!.id;
    hub.hub.intake.submit(
      { kind: spec.kind, severity: spec.severity, title: spec.title, homeId, deviceId },
      { deviceId, eventType: spec.kind === 'fall' ? 'fall' : 'telemetry', at: ago(spec.age) },
    );
    await hub.hub.journal.whenDurable();
    if ('ack' in spec) {
      const alert = hub.hub.alerts.list({ homeIds: new Set([homeId]) })[0]!;
      await hub.hub.lifecycle.acknowledge(alert.id, 'user:zhou.min');
    }
  }
}

const alarmState = (page: Page) => page.evaluate(() => document.body.dataset.alarm);

describe.skipIf(!HAVE_CHROMIUM)('operator console walk (real chromium, real hub, real MQTT)', () => {
  beforeAll(() => ensureDashboardBuilt(), 120_000);

  it('SOS → queue within 2 s with the alarm on → acknowledge (help_coming) → dispatch → resolve → audit', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const operator = await createUser(hub, 'operator', 'li.na', 'Li Na');
    const { homeId, devices } = await provisionRichHome(hub);
    const braceletId = devices[0]!.id;
    backfillBraceletDay(hub, braceletId, homeId);
    await otherAlerts(hub);

    const bracelet = keep(
      new SimulatedDevice({ url: hub.mqttUrl, deviceId: braceletId, secret: devices[0]!.secret, kind: findDeviceKind('bracelet')!, heartbeats: false }),
      (d) => d.stop(),
    );
    bracelet.start();
    await bracelet.waitForConnect();
    await bracelet.sendTelemetry();
    const commands: DeviceCommand[] = [];
    bracelet.on('command', (c) => commands.push(c));

    const browser = keep(await launchChromium(), closeBrowser);
    const context = await newDesk(browser);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));

    await logIn(page, hub.httpUrl, operator);
    await page.waitForSelector('.queue-row[data-alert-id]');
    expect(await page.locator('a.queue-row').count()).toBe(4);
    expect(await alarmState(page)).toBe('off');
    await expect(page.locator('.top-bar .who').textContent()).resolves.toContain('Li Na');

    // The SOS, over MQTT.
    const sentAt = Date.now();
    await bracelet.sendEvent('sos');
    const sosRow = page.locator('a.queue-row.sev-critical.status-open');
    await sosRow.waitFor({ timeout: 2_000 });
    const shownAfterMs = Date.now() - sentAt;
    expect(shownAfterMs).toBeLessThan(2_000);
    await expect(sosRow.locator('.col-kind').textContent()).resolves.toContain('SOS');
    await expect(sosRow.locator('.col-resident').textContent()).resolves.toBe('Wang Lan');
    expect(await alarmState(page)).toBe('on');
    expect(await page.locator('button.mute').getAttribute('data-alarm')).toBe('on');
    await page.click('button.mute');
    expect(await alarmState(page)).toBe('muted');
    await page.click('button.mute');
    expect(await alarmState(page)).toBe('on');
    // Most urgent first: the open SOS and the acknowledged fall (both critical) lead, the oldest first.
    const kinds = await page.locator('a.queue-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.status + ':' + r.className.match(/sev-(\w+)/)?.[1]));
    expect(kinds).toEqual(['acknowledged:critical', 'open:critical', 'open:high', 'open:medium', 'open:low']);
    await mkdir(SCREENSHOTS, { recursive: true });
    await shoot(page, 'queue.png');

    // Open it and acknowledge.
    await sosRow.click();
    await page.waitForSelector('.resident-card #resident-name');
    const alertId = await page.locator('article.alert-page').getAttribute('data-alert-id');
    expect(alertId).toBeTruthy();
    await expect(page.locator('.resident-card').textContent()).resolves.toContain('Key safe left of the door');
    expect(await page.locator('.contacts a[href^="tel:"]').count()).toBe(3);
    await page.click('[data-action=acknowledge]');
    await page.waitForSelector('[data-field=acknowledgedBy]');
    await expect(page.locator('[data-field=acknowledgedBy]').textContent()).resolves.toContain('li.na');
    await expect.poll(() => commands.map((c) => c.cmd)).toContain('help_coming');
    expect(commands.find((c) => c.cmd === 'help_coming')).toMatchObject({ alertId });
    // The simulated bracelet confirms it (cmd_ack): the page shows it arrived.
    await page.locator('.alert-commands .command[data-command=help_coming][data-state=confirmed]').waitFor();
    await expect.poll(() => alarmState(page)).toBe('off');

    // Dispatch a community worker.
    const draft = page.locator('.dispatch-form fieldset').first();
    await draft.locator('select[name=kind]').selectOption('community_worker');
    await draft.locator('input[name=name]').fill('Zhao Min');
    await draft.locator('input[name=phone]').fill('+86 135 6666 7777');
    await page.click('[data-action=dispatch]');
    await page.waitForSelector('.responder[data-state=notified]');
    await expect(page.locator('.responder').textContent()).resolves.toContain('li.na');
    await page.click('[data-action=advance-responder]');
    await page.waitForSelector('.responder[data-state=accepted]');
    await page.fill('textarea[name=note]', 'Daughter called, on her way too.');
    await page.click('[data-action=note]');
    await page.waitForSelector('.tl-note_added');
    await page.waitForSelector('.chart .hr-line');
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await shoot(page, 'alert-detail.png');

    // Resolve.
    await page.selectOption('select[name=outcome]', 'resident_ok');
    await page.click('[data-action=resolve]');
    await page.waitForSelector('article.alert-page[data-status=resolved]');
    await expect(page.locator('[data-field=resolvedBy]').textContent()).resolves.toMatch(/li\.na.*Resident OK/);
    const stored = hub.hub.alerts.get(alertId!)!;
    expect(stored).toMatchObject({ status: 'resolved', outcome: 'resident_ok', acknowledgedBy: 'user:li.na', resolvedBy: 'user:li.na' });
    expect(stored.responders).toMatchObject([{ kind: 'community_worker', name: 'Zhao Min', state: 'accepted', addedBy: 'user:li.na' }]);

    // The audit, as an admin, for this alert.
    const adminPage = await (await newDesk(browser)).newPage();
    await logIn(adminPage, hub.httpUrl, ADMIN);
    await adminPage.click('nav a[href="#/audit"]');
    await adminPage.fill('input[name=target]', alertId!);
    await adminPage.click('.audit-page button[type=submit]');
    await adminPage.waitForSelector('tr[data-action="alert.resolved"]');
    const rows = await adminPage
      .locator('table.audit tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.action, tr.querySelector('.audit-actor')?.textContent]));
    const byOperator = rows.filter(([, actor]) => actor === 'li.na').map(([action]) => action);
    for (const step of ['alert.acknowledged', 'alert.command_updated', 'alert.dispatched', 'alert.responder_updated', 'alert.note_added', 'alert.resolved']) {
      expect(byOperator).toContain(step);
    }
    expect(rows.map(([action]) => action)).toContain('alert.raised');

    expect(pageErrors).toEqual([]);
    console.log(`SOS shown in the browser queue ${shownAfterMs} ms after the bracelet sent it`);
  }, 120_000);
});
