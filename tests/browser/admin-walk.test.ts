/**
 * The admin's pages in a real browser against a real hub (issue 13 item 2):
 * users and roles (create with a refused password first, change the role,
 * reset the password and log in with it, disable and see the login refused,
 * enable again), a family member linked to a home who then sees it, an
 * organisation webhook with a test send that a real gateway first refuses
 * (the log shows both attempts), and the backup status before and after a
 * real backup. Then the same pages in Chinese, drawn with a real CJK font,
 * for the zh-CN screenshots in docs/screenshots.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { backupDataDir } from '../../hub/tools/backup/data-backup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import type { TestHub } from '../helpers/test-hub.js';
import { LOOPBACK_GATEWAY_ENV, WebhookGateway } from '../helpers/webhook-gateway.js';
import { drawsChinese } from './cjk.js';
import { ADMIN, HAVE_CHROMIUM, NO_CHROMIUM_REASON, docScreenshot, startHubAndBrowser, logIn, newDesk, pageErrors, provisionRichHome, type Person } from './harness.js';

if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM_REASON);

const noLoadErrors = (errors: string[]) => errors.filter((e) => !e.includes('Failed to load resource'));

describe.skipIf(!HAVE_CHROMIUM)('admin pages (real chromium, real hub)', () => {
  let hub: TestHub;
  let browser: Browser;
  let gateway: WebhookGateway;
  let backups: { path: string; remove(): Promise<void> };
  let page: Page;
  let errors: string[];
  let homeId: string;

  beforeAll(async () => {
    backups = await makeTempDir('hub-walk-backups-');
    gateway = await WebhookGateway.start();
    [hub, browser] = await startHubAndBrowser({ env: { ...LOOPBACK_GATEWAY_ENV, HUB_BACKUP_DIR: backups.path } });
    ({ homeId } = await provisionRichHome(hub));
    page = await (await newDesk(browser)).newPage();
    errors = pageErrors(page);
    await logIn(page, hub.httpUrl, ADMIN);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await gateway?.close();
    await backups?.remove();
  });

  /** Tries a login in a fresh context; `look` reads the page it lands on before the context is closed. */
  async function tryLogin(person: Person, look: (p: Page) => Promise<string> = async (p) => p.url()): Promise<{ ok: boolean; seen: string }> {
    const context = await newDesk(browser);
    try {
      const other = await context.newPage();
      await other.goto(`${hub.httpUrl}/`);
      await other.fill('input[name=username]', person.username);
      await other.fill('input[name=password]', person.password);
      await other.click('button[type=submit]');
      const ok = await Promise.race([other.waitForSelector('.top-bar').then(() => true), other.waitForSelector('.login-card [role=alert]:not(:empty)').then(() => false)]);
      return { ok, seen: ok ? await look(other) : '' };
    } finally {
      await context.close();
    }
  }

  it('users: create (a short password refused first), change the role, reset the password, disable and enable', async () => {
    await page.click('nav a:has-text("Admin")');
    await page.waitForSelector('[data-page=admin-users] tr[data-user=admin]');

    const form = page.locator('[data-form=new-user]');
    await form.locator('input[name=username]').fill('zhou.min');
    await form.locator('input[name=displayName]').fill('Zhou Min');
    await form.locator('input[name=password]').fill('short');
    await form.locator('[data-action=create-user]').click();
    await expect(form.locator('[data-field=password] .field-error').textContent()).resolves.toContain('at least 10 characters');
    expect(await page.locator('tr[data-user="zhou.min"]').count()).toBe(0);
    await form.locator('input[name=password]').fill('zhou.min-first-pass');
    await form.locator('[data-action=create-user]').click();
    await page.waitForSelector('tr[data-user="zhou.min"]');
    await expect(page.locator('tr[data-user="zhou.min"] [data-col=role]').textContent()).resolves.toBe('operator');

    // The new user is selected: change the role, then reset the password.
    const manage = page.locator('.manage-user[data-user="zhou.min"]');
    await manage.locator('select[name=role]').selectOption('supervisor');
    await manage.locator('[data-action=change-role]').click();
    await page.locator('tr[data-user="zhou.min"] [data-col=role]:text-is("supervisor")').waitFor();
    await manage.locator('input[name=password]').fill('zhou.min-second-pass');
    await manage.locator('[data-action=reset-password]').click();
    await manage.locator('[role=status]:has-text("Password reset")').waitFor();
    expect((await tryLogin({ username: 'zhou.min', password: 'zhou.min-first-pass', displayName: '' })).ok).toBe(false);
    const fresh = await tryLogin({ username: 'zhou.min', password: 'zhou.min-second-pass', displayName: '' });
    expect(fresh.ok).toBe(true);
    expect(fresh.seen).toMatch(/#\/reports$/); // a supervisor lands on the reports

    await manage.locator('[data-action=disable-user]').click();
    await page.waitForSelector('tr[data-user="zhou.min"][data-disabled=true]');
    expect((await tryLogin({ username: 'zhou.min', password: 'zhou.min-second-pass', displayName: '' })).ok).toBe(false);
    await manage.locator('[data-action=enable-user]').click();
    await page.waitForSelector('tr[data-user="zhou.min"]:not([data-disabled])');
    expect((await tryLogin({ username: 'zhou.min', password: 'zhou.min-second-pass', displayName: '' })).ok).toBe(true);
    const audit = hub.hub.audit.recent().filter((e) => e.action === 'user.updated' && e.target === 'zhou.min');
    expect(audit.length).toBe(4);
    expect(JSON.stringify(audit)).not.toContain('second-pass');
  }, 120_000);

  it('family: linking a relative\u2019s home lets the family member see it, unlinking takes it away', async () => {
    const form = page.locator('[data-form=new-user]');
    await form.locator('input[name=username]').fill('li.ming');
    await form.locator('input[name=displayName]').fill('Li Ming');
    await form.locator('select[name=role]').selectOption('family');
    await form.locator('input[name=password]').fill('li.ming-password-1');
    await form.locator('[data-action=create-user]').click();
    const manage = page.locator('.manage-user[data-user="li.ming"]');
    await manage.locator('.family-links').waitFor();
    await expect(manage.locator('.family-links .muted').textContent()).resolves.toContain('No home linked yet');
    await manage.locator('select[name=homeId]').selectOption(homeId);
    await manage.locator('[data-action=link-home]').click();
    await manage.locator(`.linked-homes li[data-home-id="${homeId}"]`).waitFor();
    await expect(manage.locator('.linked-homes').textContent()).resolves.toContain('Wang Lan');

    const family = await tryLogin({ username: 'li.ming', password: 'li.ming-password-1', displayName: '' }, async (p) => (await p.locator('.family-head h1').textContent()) ?? '');
    expect(family).toEqual({ ok: true, seen: 'Wang Lan' });

    await manage.locator('[data-action=unlink-home]').click();
    await manage.locator('.family-links .muted').waitFor();
    const me = (await hub.api.get('/api/v1/users')).body.users.find((u: { username: string }) => u.username === 'li.ming');
    expect(me.homeIds).toEqual([]);
  }, 60_000);

  it('webhooks: a bad URL is named, a test send refused once by the gateway is retried, and the log shows both attempts', async () => {
    let answer = 500;
    gateway.reply = () => answer;
    await page.click('.admin-nav a:has-text("Webhooks")');
    await page.waitForSelector('[data-page=admin-webhooks]');
    // The list loads beside the delivery log (whose empty state may be drawn first): wait for the list's own.
    await page.locator('.table-empty', { hasText: 'No webhooks yet.' }).waitFor();
    const form = page.locator('[data-form=new-webhook]');
    await form.locator('input[name=name]').fill('SMS gateway');
    await form.locator('input[name=url]').fill('ftp://sms.example');
    await form.locator('input[name=secret]').fill('walk-secret-0123456789');
    await form.locator('[data-action=create-webhook]').click();
    await form.locator('[data-field=url] .field-error').waitFor();
    await form.locator('input[name=url]').fill(`${gateway.url}/sms`);
    await form.locator('[data-action=create-webhook]').click();
    const row = page.locator('tr[data-webhook="SMS gateway"]');
    await row.waitFor();
    // The secret never comes back to the page.
    expect(await page.content()).not.toContain('walk-secret-0123456789');

    await row.locator('[data-action=test-webhook]').click();
    await page.locator('[role=status]:has-text("Test for SMS gateway queued")').waitFor();
    await gateway.waitFor(1);
    answer = 200;
    const delivery = page.locator('tr[data-event="webhook.test"]');
    // Retried after 5 s; the page reads the log again while anything is pending.
    await page.waitForSelector('tr[data-event="webhook.test"][data-status=sent]', { timeout: 20_000 });
    await expect(delivery.locator('.attempts li').allTextContents()).resolves.toEqual([expect.stringMatching(/^#1 .* · failed, will retry · HTTP 500$/), expect.stringMatching(/^#2 .* · sent · HTTP 200$/)]);
    expect(gateway.requests.every((r) => r.body.event === 'webhook.test')).toBe(true);

    await row.locator('[data-action=toggle-webhook]').click();
    await page.waitForSelector('tr[data-webhook="SMS gateway"][data-enabled=false]');
    expect(await row.locator('[data-action=test-webhook]').isDisabled()).toBe(true);
  }, 60_000);

  it('backups: overdue with none, fresh after `npm run backup`, with what the hub keeps', async () => {
    await page.click('.admin-nav a:has-text("Backups and retention")');
    const card = page.locator('.backup-status');
    await card.waitFor();
    expect(await card.getAttribute('data-overdue')).toBe('true');
    await expect(card.locator('[data-field=backup-verdict]').textContent()).resolves.toBe(`No backup in ${backups.path} yet.`);
    await expect(page.locator('[data-field=retention]').textContent()).resolves.toMatch(/alerts kept/);

    await backupDataDir(hub.dataDir, join(backups.path, 'hub-walk'));
    await page.reload();
    await page.waitForSelector('.backup-status[data-overdue=false]');
    await expect(page.locator('[data-field=backup-verdict]').textContent()).resolves.toMatch(/^Latest backup 0(\.\d)? h old \(due every 26 h\)\.$/);
    await expect(page.locator('[data-field=latest-backup]').textContent()).resolves.toContain('hub-walk');
    await docScreenshot(page, 'admin-data.png', { fullPage: true });
    expect(noLoadErrors(errors)).toEqual([]);
  }, 60_000);

  it('in Chinese: the admin pages are drawn with a CJK font (zh-CN screenshots)', async () => {
    const zh = await (await newDesk(browser, 'zh-CN')).newPage();
    await logIn(zh, hub.httpUrl, ADMIN);
    await zh.goto(`${hub.httpUrl}/#/admin/users`);
    await zh.waitForSelector('[data-page=admin-users] tr[data-user="zhou.min"]');
    await expect(zh.locator('#users-title').textContent()).resolves.toBe('用户与角色');
    await expect(drawsChinese(zh, '#users-title')).resolves.toMatchObject({ differs: true, inked: true });
    await zh.click('tr[data-user="li.ming"] [data-action=manage-user]');
    await expect(zh.locator('#family-links-title').textContent()).resolves.toBe('该家属可查看的亲人家庭');
    await docScreenshot(zh, 'admin-users-zh-CN.png', { fullPage: true });
    await zh.click('.admin-nav a:has-text("Webhook 通知")');
    await zh.waitForSelector('tr[data-event="webhook.test"]');
    await expect(zh.locator('tr[data-event="webhook.test"] [data-col=status]').textContent()).resolves.toBe('已送达');
    await docScreenshot(zh, 'admin-webhooks-zh-CN.png', { fullPage: true });
  }, 60_000);
});
