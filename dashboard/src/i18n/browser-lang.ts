/** The console language a browser asks for: any Chinese tag → zh-CN, else English. */
export type Lang = 'en' | 'zh-CN';

export function browserLang(languages: readonly string[]): Lang {
  for (const tag of languages) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}
