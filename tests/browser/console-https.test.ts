/**
 * Issue 10 item 9 in the browser: with a certificate the console is served
 * over HTTPS, its live stream runs over wss (same origin, so the CSP and the
 * origin check let it through), and an SOS a bracelet sends over MQTT/TLS
 * reaches the operator's queue. Chromium is told to accept the test's
 * self-signed certificate; nothing else differs from a production site.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from '../helpers/cleanup.js';
import { connectDevice } from '../helpers/mqtt-device.js';
import { useTlsFixture } from '../helpers/test-certs.js';
import { startTestHub } from '../helpers/test-hub.js';
import { tlsFetch } from '../helpers/tls-client.js';
import { DESK, HAVE_CHROMIUM, NO_CHROMIUM_REASON, closeBrowser, createUser, ensureDashboardBuilt, launchChromium, logIn } from './harness.js';

const keep = useCleanup();
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);
const tlsFixture = useTlsFixture();

describe.skipIf(!HAVE_CHROMIUM)('console over HTTPS (real chromium)', () => {
  it('logs in over https, streams over wss, and shows an SOS sent over MQTT/TLS', async () => {
    await ensureDashboardBuilt();
    const fx = tlsFixture();
    const hub = keep(await startTestHub({ env: fx.env, fetch: tlsFetch(fx.hubA.cert) }), closeHub);
    const operator = await createUser(hub, 'operator', 'ma.li', 'Ma Li');
    const [device] = (await hub.provisionHome({ kinds: ['bracelet'] })).devices;

    const browser = keep(await launchChromium(), closeBrowser);
    const context = await browser.newContext({ viewport: DESK, locale: 'en-US', timezoneId: 'Asia/Shanghai', ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await logIn(page, hub.httpUrl, operator);
    await page.waitForSelector('[data-stream=live]');
    expect(sockets[0]).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/api\/v1\/stream/);

    const bracelet = keep(await connectDevice(hub.mqttsUrl!, device!.id, device!.secret, { ca: fx.hubA.cert }), endClient);
    await bracelet.publishAsync(`hc/v1/${device!.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    await page.waitForSelector('a.queue-row.sev-critical');
  }, 30_000);
});
