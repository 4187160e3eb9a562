/**
 * The console's two languages. The default follows the browser
 * (`navigator.language` zh* → zh-CN, else English); a choice made in the
 * header is remembered. Strings live in en.ts and zh-CN.ts, one key each;
 * the type of zh-CN.ts and a test keep their keys identical.
 */
import { createStore } from '../util/store.js';
import { browserLang, type Lang } from './browser-lang.js';
import { en, type MessageKey } from './en.js';
import { zhCN } from './zh-CN.js';

export type { Lang, MessageKey };

export const LANGS: Record<Lang, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };
const KEY = 'hc.lang';

function initialLang(): Lang {
  const saved = localStorage.getItem(KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  return browserLang(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

export const lang = createStore<Lang>(initialLang());
document.documentElement.lang = lang.get();

export function setLang(next: Lang): void {
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
  lang.set(next);
}

export type Params = Record<string, string | number>;

export function t(key: MessageKey, params?: Params): string {
  const text = LANGS[lang.get()][key] ?? en[key];
  return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
}

/** A translated value of a closed list (`kind.sos`, `outcome.resident_ok`…), or the raw value for one the console does not know yet. */
export function tValue(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return key in en ? t(key as MessageKey) : value.replace(/_/g, ' ');
}
