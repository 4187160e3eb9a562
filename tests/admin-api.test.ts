/**
 * What the admin pages need from the API that was not there before (issue 13
 * item 2), over real HTTP against a real hub: a webhook test send that goes
 * through the delivery queue to a real gateway and shows in the delivery log
 * with its attempts, and the backup and retention status read from real
 * backups made by `npm run backup`'s code while the hub runs. Plus a contact's
 * availability, kept and returned (item 3).
 */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyWebhook } from '../hub/notify/payload.js';
import { backupDataDir, MANIFEST } from '../hub/tools/backup/data-backup.js';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { startTestHub } from './helpers/test-hub.js';
import { closeGateway, LOOPBACK_GATEWAY_ENV, WebhookGateway } from './helpers/webhook-gateway.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();
const SECRET = 'admin-test-secret-5e1f0c9a2b';

describe('webhook test send', () => {
  it('queues a signed webhook.test delivery that reaches the gateway and is logged with its attempts', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const hub = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
    let answer = 503;
    gateway.reply = () => answer;
    const hook = (await hub.api.post('/api/v1/notifications/webhooks', { name: 'SMS gateway', url: `${gateway.url}/hook`, secret: SECRET })).body;

    const sent = await hub.api.post(`/api/v1/notifications/webhooks/${hook.id}/test`, {});
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ event: 'webhook.test', status: 'pending', target: { type: 'webhook', webhookId: hook.id, name: 'SMS gateway' } });
    const [first] = await gateway.waitFor(1);
    expect(verifyWebhook(SECRET, first!.raw, first!.headers['x-hub-signature-256'] as string)).toBe(true);
    expect(first!.body).toMatchObject({ event: 'webhook.test', deliveryId: sent.body.deliveryId, attempt: 1, alert: { kind: 'test' } });

    // The 503 is retried like any delivery; the log shows the failed attempt, then the one that went through.
    answer = 200;
    const log = async () => (await hub.api.get(`/api/v1/notifications/deliveries?alertId=${sent.body.alertId}`)).body.deliveries;
    await waitFor(async () => (await log())[0]?.status === 'sent', 'the retried test delivery to be sent');
    const logged = await log();
    expect(logged[0].attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'failed', statusCode: 503 }),
      expect.objectContaining({ attempt: 2, outcome: 'sent', statusCode: 200 }),
    ]);
    expect(hub.hub.audit.recent().find((e) => e.action === 'notify.webhook_tested')).toMatchObject({ target: hook.id, detail: { deliveryId: sent.body.deliveryId } });
    expect(JSON.stringify(hub.hub.audit.recent())).not.toContain(SECRET);
  }, 30_000);

  it('refuses a disabled or unknown webhook, queueing nothing', async () => {
    const hub = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
    const hook = (await hub.api.post('/api/v1/notifications/webhooks', { name: 'Off', url: 'http://127.0.0.1:9/x', secret: SECRET, enabled: false })).body;
    const disabled = await hub.api.post(`/api/v1/notifications/webhooks/${hook.id}/test`, {});
    expect(disabled.status).toBe(409);
    expect(disabled.body.error.message).toBe('webhook Off is disabled: enable it to test it');
    expect((await hub.api.post('/api/v1/notifications/webhooks/whk-none/test', {})).status).toBe(404);
    expect((await hub.api.get('/api/v1/notifications/deliveries')).body.deliveries).toEqual([]);
  });
});

describe('backup and retention status', () => {
  it('says there is no backup to check when HUB_BACKUP_DIR is not set, and lists what the hub keeps', async () => {
    const hub = keep(await startTestHub(), closeHub);
    await hub.provisionHome({ kinds: ['bracelet'] });
    const status = (await hub.api.get('/api/v1/admin/data-status')).body;
    expect(status).toMatchObject({ storage: 'files', backup: { dir: null, count: 0, latest: null, overdue: true, maxAgeHours: 26 } });
    expect(status.retention.journal.months).toEqual([expect.objectContaining({ month: expect.stringMatching(/^\d{4}-\d{2}$/), bytes: expect.any(Number) })]);
    expect(status.retention.journal.months[0].bytes).toBeGreaterThan(0);
    expect(status.retention.journal).toMatchObject({ alerts: 0, oldestAlertAt: null });

    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const deviceId = devices[0]!.id;
    for (const [kind, at] of [['sos', '2026-11-02T08:00:00.000Z'], ['fall', '2026-10-30T21:15:00.000Z']] as const) {
      hub.hub.intake.submit({ kind, severity: 'critical', title: kind, homeId, deviceId }, { deviceId, eventType: kind, at });
    }
    await hub.hub.journal.whenDurable();
    expect((await hub.api.get('/api/v1/admin/data-status')).body.retention.journal).toMatchObject({ alerts: 2, oldestAlertAt: '2026-10-30T21:15:00.000Z' });
  });

  it('finds the newest whole backup made while the hub runs, ignores partial ones, and flags an old one as overdue', async () => {
    const backups = keep(await makeTempDir('hub-backups-'), (d) => d.remove());
    const hub = keep(await startTestHub({ env: { HUB_BACKUP_DIR: backups.path } }), closeHub);
    await hub.provisionHome({ kinds: ['bracelet'] });
    const { manifest } = await backupDataDir(hub.dataDir, join(backups.path, 'hub-2026-12-05'));
    await mkdir(join(backups.path, 'hub-2026-12-06.partial'));
    await writeFile(join(backups.path, 'notes.txt'), 'not a backup');

    const fresh = (await hub.api.get('/api/v1/admin/data-status')).body.backup;
    expect(fresh).toMatchObject({ dir: backups.path, count: 1, overdue: false, latest: { name: 'hub-2026-12-05', createdAt: manifest.createdAt, files: manifest.files.length, journalLines: manifest.journal.lines } });
    expect(fresh.latest.ageHours).toBeLessThan(1);

    // The same backup, 30 hours older: past the 26 h a daily backup allows.
    await cp(join(backups.path, 'hub-2026-12-05'), join(backups.path, 'old'), { recursive: true });
    await cp(join(backups.path, 'hub-2026-12-05'), join(backups.path, 'older'), { recursive: true });
    const rewrite = async (name: string, hoursAgo: number) => {
      const path = join(backups.path, name, MANIFEST);
      const old = JSON.parse(await readFile(path, 'utf8'));
      await writeFile(path, JSON.stringify({ ...old, createdAt: new Date(Date.now() - hoursAgo * 3_600_000).toISOString() }));
    };
    await rewrite('hub-2026-12-05', 30);
    await rewrite('old', 40);
    await rewrite('older', 50);
    const stale = (await hub.api.get('/api/v1/admin/data-status')).body.backup;
    expect(stale).toMatchObject({ count: 3, overdue: true, latest: { name: 'hub-2026-12-05' } });
    expect(stale.latest.ageHours).toBeGreaterThanOrEqual(30);
  });
});

describe('contact availability (issue 13 item 3)', () => {
  it('is kept with the contact, in order, and too long a text is refused naming the field', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId } = await hub.provisionHome();
    const residentId = (await hub.api.get(`/api/v1/homes/${homeId}`)).body.resident.id;
    const contacts = [
      { name: 'Li Ming', phone: '+86 139 1234 5678', hasKeys: true, availability: 'weekdays after 18:00' },
      { name: 'Zhou Hua', phone: '+86 137 2222 3333', availability: 'any time' },
    ];
    const saved = await hub.api.request('PATCH', `/api/v1/residents/${residentId}/profile`, { contacts });
    expect(saved.status).toBe(200);
    expect(saved.body.contacts).toEqual([expect.objectContaining(contacts[0]), expect.objectContaining({ ...contacts[1], hasKeys: false })]);
    const bad = await hub.api.request('PATCH', `/api/v1/residents/${residentId}/profile`, { contacts: [{ ...contacts[0], availability: 'x'.repeat(201) }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('contacts.0.availability');
    expect((await hub.api.get(`/api/v1/residents/${residentId}`)).body.contacts).toHaveLength(2);
  });
});

describe('the last admin (issue 13 item 2)', () => {
  it('cannot be disabled or lose the role until another admin exists', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const admin = (await hub.api.get('/api/v1/users')).body.users.find((u: { username: string }) => u.username === 'admin');
    for (const change of [{ disabled: true }, { role: 'operator' }]) {
      const refused = await hub.api.request('PATCH', `/api/v1/users/${admin.id}`, change);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toBe('admin is the last active admin: make another user admin first');
    }
    expect((await hub.api.get('/api/v1/users')).body.users.find((u: { id: string }) => u.id === admin.id)).toMatchObject({ role: 'admin' });
    expect((await hub.api.get('/api/v1/auth/me')).status).toBe(200);
    const second = await hub.api.post('/api/v1/users', { username: 'deputy', password: 'deputy-password-1', role: 'admin' });
    expect((await hub.api.request('PATCH', `/api/v1/users/${second.body.id}`, { disabled: true })).status).toBe(200);
    expect((await hub.api.request('PATCH', `/api/v1/users/${admin.id}`, { disabled: true })).status).toBe(409);
    expect((await hub.api.request('PATCH', `/api/v1/users/${second.body.id}`, { disabled: false })).status).toBe(200);
    expect((await hub.api.request('PATCH', `/api/v1/users/${second.body.id}`, { role: 'supervisor' })).status).toBe(200);
  });
});
