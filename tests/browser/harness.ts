/// <reference lib="dom" />
// The callbacks these tests pass to page.evaluate() run in the browser: they need DOM types.
// (This adds lib.dom to the root type-check; a separate tsconfig would cost a third tsc run.)
/**
 * What the browser tests share: Debian's chromium driven by playwright-core
 * (never a downloaded browser), a hub with the current console build, users
 * to log in as, and a resident worth looking at.
 *
 * Chromium runs headless with a fresh profile: Playwright's launch() makes a
 * temp --user-data-dir and deletes it on close.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildDashboard } from '../../dashboard/build.js';
import { hashPassword } from '../../hub/auth/passwords.js';
import type { Role } from '../../hub/registry/records.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/test-hub.js';

export const CHROMIUM = process.env.HUB_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const NO_CHROMIUM_REASON = `browser tests skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set HUB_TEST_CHROMIUM)`;

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  // The alarm is started by the login click anyway; this keeps tests independent of gesture timing.
  '--autoplay-policy=no-user-gesture-required',
];

let built: Promise<unknown> | undefined;

/** Builds the console once per test file, so the tests run against the current source. */
export function ensureDashboardBuilt(): Promise<unknown> {
  built ??= buildDashboard();
  return built;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

export const closeBrowser = (b: Browser) => b.close();

/**
 * A file's beforeAll: a hub, Chromium and the current console build, started
 * side by side (each takes seconds on a loaded machine). If one start fails the
 * others are stopped, so the failure leaves no hub or browser process behind
 * (afterAll sees neither).
 */
export async function startHubAndBrowser(options?: Parameters<typeof startTestHub>[0]): Promise<[TestHub, Browser]> {
  const [hub, browser, built] = await Promise.allSettled([startTestHub(options), launchChromium(), ensureDashboardBuilt()]);
  if (hub.status === 'fulfilled' && browser.status === 'fulfilled' && built.status === 'fulfilled') return [hub.value, browser.value];
  if (hub.status === 'fulfilled') await hub.value.stop();
  if (browser.status === 'fulfilled') await browser.value.close();
  throw [hub, browser, built].find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
}

export const DESK = { width: 1366, height: 768 };

export async function newDesk(browser: Browser, locale = 'en-US', timezoneId = 'Asia/Shanghai'): Promise<BrowserContext> {
  return browser.newContext({ viewport: DESK, locale, timezoneId });
}

/**
 * A fixed-offset zone in which it is about midday now, for the hub (HUB_TIMEZONE) and the
 * browser alike. Walks whose story depends on the time of day use it, so they tell the same
 * story whenever CI runs them: in Asia/Shanghai at night a door opened is night-time wandering
 * (a second alert on the family page), and a call-back due in 15 minutes falls on tomorrow's
 * agenda after 23:45 (both seen in CI at 23:55 Shanghai time).
 */
export function middayZone(now = new Date()): string {
  const offset = 12 - now.getUTCHours(); // −11 … +12 hours from UTC; the local date is the UTC date
  // Etc/GMT names count the other way round: Etc/GMT-8 is UTC+8.
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

export interface Person {
  username: string;
  password: string;
  displayName: string;
}

export async function createUser(hub: TestHub, role: Role, username: string, displayName: string): Promise<Person> {
  const password = `${username}-password-1`;
  await hub.hub.registry.createUser({ username, role, displayName, passwordHash: await hashPassword(password) });
  return { username, password, displayName };
}

export const ADMIN: Person = { username: 'admin', password: ADMIN_PASSWORD, displayName: 'Administrator' };

/** Logs in through the form; resolves once the console's queue page is there. */
export async function logIn(page: Page, baseUrl: string, person: Person): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.fill('input[name=username]', person.username);
  await page.fill('input[name=password]', person.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('.top-bar');
}

/** A home as an installer would enter it: resident with conditions, access notes and ordered contacts. */
export async function provisionRichHome(
  hub: TestHub,
  opts: { name?: string; resident?: string; address?: string; kinds?: string[] } = {},
): Promise<{ homeId: string; devices: { id: string; kind: string; secret: string }[] }> {
  const home = await hub.api.post('/api/v1/homes', {
    name: opts.name ?? 'Wang home',
    address: opts.address ?? '12 Jinjiang Rd, Apt 3-201',
    community: 'Jinjiang Community',
    resident: {
      name: opts.resident ?? 'Wang Lan',
      birthYear: 1941,
      gender: 'female',
      phone: '+86 138 0000 1111',
      conditions: ['dementia', 'hypertension', 'mobility'],
      medicationNotes: 'Amlodipine 5 mg mornings; donepezil 10 mg at night',
      accessNotes: 'Key safe left of the door, code 4711. Neighbour Mrs Zhou (3-202) has keys.',
      specialHardship: true,
      contacts: [
        { name: 'Li Ming', relation: 'daughter', phone: '+86 139 1234 5678', hasKeys: true },
        { name: 'Zhou Hua', relation: 'neighbour', phone: '+86 137 2222 3333', hasKeys: true },
        { name: 'Wang Jun', relation: 'son', phone: '+86 136 4444 5555' },
      ],
    },
  });
  if (home.status !== 201) throw new Error(`create home: ${home.status} ${JSON.stringify(home.body)}`);
  const homeId = home.body.id as string;
  const devices: { id: string; kind: string; secret: string }[] = [];
  for (const [i, kind] of (opts.kinds ?? ['bracelet']).entries()) {
    const res = await hub.api.post(`/api/v1/homes/${homeId}/devices`, { kind, serial: `RICH-${homeId.slice(-6)}-${i}-${kind}` });
    if (res.status !== 201) throw new Error(`add device: ${res.status} ${JSON.stringify(res.body)}`);
    devices.push({ id: res.body.id, kind, secret: res.body.secret });
  }
  await goLive(hub, homeId);
  return { homeId, devices };
}

/** Puts a home live without commissioning its devices (the override an installer would give a reason for). */
export async function goLive(hub: TestHub, homeId: string): Promise<void> {
  await hub.hub.homes.goLive(homeId, 'user:admin', 'browser test fixture: devices are simulated');
}

/**
 * Fills a bracelet's in-memory readings ring with the last 24 h (every 10 min)
 * so the chart has a day to draw; MQTT telemetry is stamped on arrival and
 * cannot be back-dated.
 */
export function backfillBraceletDay(hub: TestHub, deviceId: string, homeId: string, now = Date.now()): void {
  const state = hub.hub.states.ensure(deviceId, homeId, 'bracelet');
  let steps = 0;
  for (let at = now - 24 * 3_600_000 + 600_000; at < now; at += 600_000) {
    const hour = new Date(at).getHours();
    const awake = hour >= 7 && hour < 22;
    if (hour === 0 && new Date(at).getMinutes() < 10) steps = 0;
    steps += awake ? 80 + (Math.floor(at / 600_000) % 7) * 40 : 0;
    const heartRate = Math.round((awake ? 74 : 60) + 6 * Math.sin(at / 3_600_000));
    hub.hub.states.recordTelemetry(state, at, { heartRate, steps, spo2: 97 });
  }
}

/** Where the README's screenshots live. */
export const SCREENSHOT_DIR = new URL('../../docs/screenshots/', import.meta.url);

/**
 * A screenshot for the docs, written only when HUB_SCREENSHOTS=1 so a normal
 * test run leaves tracked files alone; otherwise it is still taken (the page
 * must be able to render) and thrown away.
 */
export async function docScreenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  if (process.env.HUB_SCREENSHOTS === '1') {
    const { mkdir } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const dir = fileURLToPath(SCREENSHOT_DIR);
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: `${dir}${name}`, fullPage: opts.fullPage ?? false });
    return;
  }
  await page.screenshot({ fullPage: opts.fullPage ?? false });
}

/**
 * Headless chromium has no notification centre and never hides a tab: a page
 * of this context gets a stand-in Notification (permission granted, each one
 * recorded in `window.__shown`) and a `document.hidden` set by `setHidden`.
 */
export async function fakeNotifications(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __shown: { title: string; body?: string }[]; __hidden: boolean };
    w.__shown = [];
    w.__hidden = false;
    Object.defineProperty(document, 'hidden', { get: () => w.__hidden });
    class FakeNotification {
      static permission = 'granted';
      static requestPermission = async () => 'granted';
      onclick: (() => void) | null = null;
      constructor(title: string, options?: { body?: string }) {
        w.__shown.push({ title, body: options?.body });
      }
      close() {}
    }
    (window as unknown as { Notification: unknown }).Notification = FakeNotification;
  });
}

export const setHidden = (page: Page, hidden: boolean) => page.evaluate((h) => ((window as unknown as { __hidden: boolean }).__hidden = h), hidden);
export const notificationsShown = (page: Page) => page.evaluate(() => (window as unknown as { __shown: { title: string; body?: string }[] }).__shown);

/** Collects uncaught page errors and console errors, to assert none happened. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

/** Logs in with the keyboard only (type, Tab, type, Enter): the username field has focus on load. */
export async function logInByKeyboard(page: Page, baseUrl: string, person: Person): Promise<void> {
  await page.goto(`${baseUrl}/`);
  // Wait for the focus, or keys typed on a busy machine go nowhere.
  await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'username');
  await page.keyboard.type(person.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(person.password);
  await page.keyboard.press('Enter');
}
