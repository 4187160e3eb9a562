/**
 * The console's two languages have the same keys, no empty string, the same
 * `{parameters}` in each string, and a word for every value the hub can send
 * (severities, statuses, outcomes, responder kinds and states, roles,
 * conditions, device kinds, alert kinds of the rule catalogue).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../dashboard/src/i18n/en.js';
import { browserLang } from '../dashboard/src/i18n/browser-lang.js';
import { zhCN } from '../dashboard/src/i18n/zh-CN.js';
import { DEVICE_KIND_NAMES } from '../devices/catalog.js';
import { COMMAND_NAMES } from '../devices/commands.js';
import { COMMAND_STATES, EXPIRY_REASONS } from '../hub/commands/command-book.js';
import { ALERT_STATUSES, OUTCOMES, RESPONDER_KINDS, RESPONDER_STATES, SEVERITIES } from '../hub/alerts/alert.js';
import { BAD_PAYLOAD_REASONS } from '../hub/ingest/device-state.js';
import { ATTEMPT_OUTCOMES, DELIVERY_STATUSES, NOTIFY_EVENTS } from '../hub/notify/types.js';
import { CALLBACK_OUTCOMES, CALLBACK_REASONS } from '../hub/callbacks/callback.js';
import { PRESENCE_STATES } from '../hub/shifts/presence.js';
import { CONDITIONS, ROLES } from '../hub/registry/records.js';
import { REPO_ROOT } from './helpers/hub-process.js';

const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('console strings (dashboard/src/i18n)', () => {
  it('en and zh-CN have exactly the same keys', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  it('no string is empty and each translation has the same {parameters}', () => {
    const en_ = en as Record<string, string>;
    const zh = zhCN as Record<string, string>;
    for (const key of Object.keys(en_)) {
      expect(en_[key]!.trim(), key).not.toBe('');
      expect(zh[key]!.trim(), key).not.toBe('');
      expect(params(zh[key]!), key).toEqual(params(en_[key]!));
    }
  });

  it('has a word for every value of the hub\'s closed lists', () => {
    const lists: [string, readonly string[]][] = [
      ['severity', SEVERITIES],
      ['status', ALERT_STATUSES],
      ['outcome', OUTCOMES],
      ['responder', RESPONDER_KINDS],
      ['responderState', RESPONDER_STATES],
      ['role', ROLES],
      ['condition', CONDITIONS],
      ['deviceKind', DEVICE_KIND_NAMES],
      ['command', COMMAND_NAMES],
      ['commandState', COMMAND_STATES],
      ['expiry', EXPIRY_REASONS],
      ['badPayload', BAD_PAYLOAD_REASONS],
      ['notifyEvent', NOTIFY_EVENTS],
      ['delivery', DELIVERY_STATUSES],
      ['attempt', ATTEMPT_OUTCOMES],
      ['callbackReason', CALLBACK_REASONS],
      ['callbackOutcome', CALLBACK_OUTCOMES],
      ['presence', PRESENCE_STATES],
    ];
    const missing = lists.flatMap(([prefix, values]) => values.map((v) => `${prefix}.${v}`)).filter((key) => !(key in en));
    expect(missing).toEqual([]);
  });

  it('names every alert kind the rule catalogue raises', async () => {
    const dir = join(REPO_ROOT, 'hub/rules/catalog');
    const kinds = new Set<string>();
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts'))) {
      for (const m of (await readFile(join(dir, file), 'utf8')).matchAll(/\bkind: '([a-z_]+)'/g)) kinds.add(m[1]!);
    }
    expect(kinds.size).toBeGreaterThan(5);
    expect([...kinds].filter((k) => !(`kind.${k}` in en))).toEqual([]);
  });

  it('picks the default language from the browser', () => {
    expect(browserLang(['zh-CN'])).toBe('zh-CN');
    expect(browserLang(['zh-TW', 'en'])).toBe('zh-CN');
    expect(browserLang(['en-GB', 'zh-CN'])).toBe('en');
    expect(browserLang(['de-DE', 'zh'])).toBe('zh-CN');
    expect(browserLang(['fr'])).toBe('en');
    expect(browserLang([])).toBe('en');
  });
});
