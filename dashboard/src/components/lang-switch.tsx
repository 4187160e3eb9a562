/** English / 中文, each named in its own language. */
import { lang, setLang, t, type Lang } from '../i18n/index.js';
import { useStore } from '../util/use-store.js';

const NAMES: Record<Lang, string> = { en: 'English', 'zh-CN': '中文' };

export function LangSwitch() {
  const current = useStore(lang);
  return (
    <label class="lang">
      <span class="visually-hidden">{t('lang.label')}</span>
      <select id="lang-select" value={current} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
        {(Object.keys(NAMES) as Lang[]).map((code) => (
          <option key={code} value={code} lang={code}>
            {NAMES[code]}
          </option>
        ))}
      </select>
    </label>
  );
}
