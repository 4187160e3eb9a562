/**
 * A console whose WebSocket drops catches up by itself: it says it is
 * reconnecting, reconnects with `?streamId&lastEventId`, and shows the alert
 * raised while it was away (DESIGN.md §5 "a reconnecting client catches up").
 * The drop is made with Playwright's WebSocket routing, which proxies the
 * page's real socket to the hub and can close it on demand.
 */
import type { WebSocketRoute } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { closeHub, useCleanup } from '../helpers/cleanup.js';
import { startTestHub } from '../helpers/test-hub.js';
import { HAVE_CHROMIUM, NO_CHROMIUM_REASON, closeBrowser, createUser, ensureDashboardBuilt, launchChromium, logIn, newDesk, provisionRichHome } from './harness.js';

const keep = useCleanup();
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

describe.skipIf(!HAVE_CHROMIUM)('console stream reconnect (real chromium)', () => {
  it('shows "reconnecting", resumes from its last event and shows what was raised meanwhile', async () => {
    await ensureDashboardBuilt();
    const hub = keep(await startTestHub(), closeHub);
    const operator = await createUser(hub, 'operator', 'ma.li', 'Ma Li');
    const { homeId, devices } = await provisionRichHome(hub);
    const deviceId = devices[0]!.id;

    const browser = keep(await launchChromium(), closeBrowser);
    const page = await (await newDesk(browser)).newPage();
    const urls: string[] = [];
    const received: string[][] = [];
    let current: WebSocketRoute | undefined;
    await page.routeWebSocket(/\/api\/v1\/stream/, (ws) => {
      urls.push(ws.url());
      const messages: string[] = [];
      received.push(messages);
      current = ws;
      const server = ws.connectToServer();
      // Forwarded by hand so the test sees what the hub sent on each connection.
      server.onMessage((m) => {
        messages.push(String(m));
        ws.send(m);
      });
    });

    await logIn(page, hub.httpUrl, operator);
    await page.waitForSelector('[data-stream=live]');
    hub.hub.intake.submit({ kind: 'fall', severity: 'critical', title: 'Fall', homeId, deviceId }, { deviceId, eventType: 'fall', at: new Date().toISOString() });
    await page.waitForSelector('a.queue-row.sev-critical');

    // Drop the socket, then raise an alert while the console is away.
    await current!.close({ code: 1012, reason: 'test drop' });
    await page.waitForSelector('[data-stream=reconnecting]');
    hub.hub.intake.submit({ kind: 'heart_rate', severity: 'high', title: 'Heart rate', homeId, deviceId }, { deviceId, eventType: 'telemetry', at: new Date().toISOString() });

    await page.waitForSelector('a.queue-row.sev-high', { timeout: 5_000 });
    await page.waitForSelector('[data-stream=live]');
    expect(urls).toHaveLength(2);
    const resumed = new URL(urls[1]!);
    expect(resumed.searchParams.get('streamId')).toBeTruthy();
    expect(Number(resumed.searchParams.get('lastEventId'))).toBeGreaterThan(0);
    expect(await page.locator('a.queue-row').count()).toBe(2);
    // The hub answered the resume with the missed delta, not a new snapshot.
    expect(JSON.parse(received[0]![0]!).type).toBe('snapshot');
    expect(JSON.parse(received[1]![0]!).type).toBe('alert.raised');
  }, 120_000);
});
