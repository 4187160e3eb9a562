/**
 * The queue with 500 open alerts in a real browser: how long the first render
 * takes, and how long one update (an acknowledge, a new alert) takes from the
 * stream message to the DOM and to the next painted frame. Figures are
 * printed, never asserted (DESIGN.md §9: timings are measured, not tested);
 * the test checks only that the queue is complete and correct.
 *
 * The alerts go in through the hub's own intake in-process (100 live homes ×
 * 5 alert kinds, as the rules would raise them): 500 bracelets over MQTT
 * would measure the broker, not the console.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Severity } from '../../hub/alerts/alert.js';
import { closeHub, useCleanup } from '../helpers/cleanup.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { HAVE_CHROMIUM, NO_CHROMIUM_REASON, closeBrowser, createUser, ensureDashboardBuilt, goLive, launchChromium, logIn, newDesk } from './harness.js';

const keep = useCleanup();
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

const HOMES = 100;
const KINDS: [string, Severity][] = [
  ['sos', 'critical'],
  ['fall', 'critical'],
  ['heart_rate', 'high'],
  ['door_open', 'medium'],
  ['low_battery', 'low'],
];

async function fiveHundredAlerts(hub: TestHub): Promise<void> {
  for (let i = 0; i < HOMES; i++) {
    const { home } = await hub.hub.homes.createHome(
      { name: `Home ${i}`, address: `${i} Renmin Rd`, community: `Community ${i % 7}`, resident: { name: `Resident ${i}`, birthYear: 1930 + (i % 25), conditions: [], contacts: [], specialHardship: false } },
      'user:admin',
    );
    const { device } = await hub.hub.homes.registerDevice(home.id, 'bracelet', `PERF-${i}`, 'user:admin');
    await goLive(hub, home.id);
    for (const [k, [kind, severity]] of KINDS.entries()) {
      const at = new Date(Date.now() - ((i * 5 + k) % 600) * 1000).toISOString();
      hub.hub.intake.submit({ kind, severity, title: kind, homeId: home.id, deviceId: device.id }, { deviceId: device.id, eventType: kind, at });
    }
  }
  await hub.hub.journal.whenDurable();
}

interface Timing {
  rows: number;
  commitMs: number;
  sinceChangeMs: number;
  paintedMs?: number;
}

const timings = (page: Page) => page.evaluate(() => (window as unknown as { __hcPerf?: { queue: Timing[] } }).__hcPerf?.queue ?? []);
const resetTimings = (page: Page) => page.evaluate(() => ((window as unknown as { __hcPerf?: { queue: Timing[] } }).__hcPerf = { queue: [] }));
/** Waits two frames and a task so the last render's `paintedMs` is filled in. */
const settle = (page: Page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 20)))));
const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 10) / 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The render that put `change` on screen: the first one after the reset that shows it. */
async function updateTiming(page: Page): Promise<Timing> {
  await settle(page);
  const all = await timings(page);
  const first = all[0];
  if (!first) throw new Error('no queue render recorded');
  return first;
}

describe.skipIf(!HAVE_CHROMIUM)('queue performance with 500 open alerts (real chromium)', () => {
  it('renders 500 alerts and applies single updates; prints the figures', async () => {
    await ensureDashboardBuilt();
    const hub = keep(await startTestHub(), closeHub);
    const operator = await createUser(hub, 'operator', 'perf.op', 'Perf Operator');
    const setupStart = Date.now();
    await fiveHundredAlerts(hub);
    const setupMs = Date.now() - setupStart;
    const alerts = hub.hub.alerts.list({ unresolved: true });
    expect(alerts).toHaveLength(500);

    const browser = keep(await launchChromium(), closeBrowser);
    const page = await (await newDesk(browser)).newPage();
    const loginStart = Date.now();
    await logIn(page, hub.httpUrl, operator);
    await page.waitForFunction(() => document.querySelectorAll('a.queue-row[data-alert-id]').length === 500, undefined, { timeout: 15_000 });
    const loginToQueueMs = Date.now() - loginStart;
    await settle(page);
    const firstFull = (await timings(page)).find((t) => t.rows === 500)!;
    expect(firstFull).toBeDefined();
    // The queue is in the hub's order: most urgent first, then oldest.
    const shown = await page.locator('a.queue-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.alertId));
    expect(shown).toEqual(alerts.map((a) => a.id));

    // One acknowledge at a time, on rows spread over the list.
    const ackTimings: Timing[] = [];
    for (const index of [10, 120, 250, 380, 490]) {
      const id = alerts[index]!.id;
      await resetTimings(page);
      await hub.hub.lifecycle.acknowledge(id, 'user:someone.else');
      await page.waitForSelector(`a.queue-row[data-alert-id="${id}"][data-status=acknowledged]`);
      ackTimings.push(await updateTiming(page));
    }

    // One new alert, sorted in among the 500.
    const home = hub.hub.registry.listHomes()[0]!;
    const deviceId = hub.hub.registry.listDevices(home.id)[0]!.id;
    await resetTimings(page);
    hub.hub.intake.submit({ kind: 'smoke', severity: 'critical', title: 'smoke', homeId: home.id, deviceId }, { deviceId, eventType: 'smoke', at: new Date().toISOString() });
    await page.waitForFunction(() => document.querySelectorAll('a.queue-row[data-alert-id]').length === 501);
    const insertTiming = await updateTiming(page);

    // Main-thread time of the ticking ages and SLA checks of 501 rows while idle.
    const idle = await page.evaluate(
      () =>
        new Promise<{ longTasks: number; longestMs: number }>((resolve) => {
          const entries: PerformanceEntry[] = [];
          const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
          observer.observe({ type: 'longtask', buffered: false });
          setTimeout(() => {
            observer.disconnect();
            resolve({ longTasks: entries.length, longestMs: Math.max(0, ...entries.map((e) => e.duration)) });
          }, 3_000);
        }),
    );

    const figures = {
      alerts: 500,
      setupMs,
      firstRender: { loginToQueueMs, commitMs: round(firstFull.commitMs), snapshotToDomMs: round(firstFull.sinceChangeMs), snapshotToPaintMs: round(firstFull.paintedMs) },
      acknowledgeUpdate: {
        medianMessageToDomMs: round(median(ackTimings.map((t) => t.sinceChangeMs))),
        medianMessageToPaintMs: round(median(ackTimings.map((t) => t.paintedMs ?? NaN))),
        each: ackTimings.map((t) => ({ toDom: round(t.sinceChangeMs), toPaint: round(t.paintedMs) })),
      },
      newAlertInsert: { messageToDomMs: round(insertTiming.sinceChangeMs), messageToPaintMs: round(insertTiming.paintedMs), rows: insertTiming.rows },
      idle3s: idle,
    };
    console.log(`queue performance (500 open alerts, 1366×768, headless chromium): ${JSON.stringify(figures, null, 2)}`);
  }, 120_000);
});
