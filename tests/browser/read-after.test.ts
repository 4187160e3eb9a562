/**
 * The console never reads older than what it has shown (docs/CLUSTER.md
 * "Reads on any node"): every read carries `X-Hub-After`, the highest journal
 * line it has seen on the hub's answers and on the stream. So an alert that
 * came in on the stream, opened through a cluster standby, is waited for
 * there (or read from the leader) instead of being "not found". Checked on
 * the requests a real Chromium sends.
 */
import type { Request } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { closeHub, useCleanup } from '../helpers/cleanup.js';
import { startTestHub } from '../helpers/test-hub.js';
import { HAVE_CHROMIUM, NO_CHROMIUM_REASON, closeBrowser, createUser, ensureDashboardBuilt, launchChromium, logIn, newDesk, provisionRichHome } from './harness.js';

const keep = useCleanup();
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

describe.skipIf(!HAVE_CHROMIUM)('X-Hub-After on the console\u2019s reads (real chromium)', () => {
  it('opens an alert that came in on the stream with a read after the alert\u2019s journal line', async () => {
    await ensureDashboardBuilt();
    const hub = keep(await startTestHub(), closeHub);
    const operator = await createUser(hub, 'operator', 'zhou.min', 'Zhou Min');
    const { homeId, devices } = await provisionRichHome(hub);
    const deviceId = devices[0]!.id;

    const browser = keep(await launchChromium(), closeBrowser);
    const page = await (await newDesk(browser)).newPage();
    const reads: Request[] = [];
    page.on('request', (r) => {
      if (r.method() === 'GET' && new URL(r.url()).pathname.startsWith('/api/v1/')) reads.push(r);
    });
    await logIn(page, hub.httpUrl, operator);
    await page.waitForSelector('[data-stream=live]');

    await hub.hub.intake.submit({ kind: 'fall', severity: 'critical', title: 'Fall', homeId, deviceId }, { deviceId, eventType: 'fall', at: new Date().toISOString() });
    await page.waitForSelector('a.queue-row.sev-critical');
    const alertLine = hub.hub.journal.lastN; // the raise is the newest line: the stream's event id for it
    const alertId = (await hub.api.get('/api/v1/alerts')).body.alerts[0].id as string;

    const opening = page.waitForRequest((r) => r.method() === 'GET' && new URL(r.url()).pathname === `/api/v1/alerts/${alertId}`);
    await page.click('a.queue-row.sev-critical');
    const read = await opening;
    expect(Number(read.headers()['x-hub-after'])).toBeGreaterThanOrEqual(alertLine);
    // Every read of alerts came after the login's answer, so each carries a line.
    const alertReads = reads.filter((r) => new URL(r.url()).pathname.startsWith('/api/v1/alerts'));
    expect(alertReads.length).toBeGreaterThan(0);
    for (const r of alertReads) expect(Number(r.headers()['x-hub-after']), r.url()).toBeGreaterThan(0);
  });
});
