/// <reference lib="dom" />
/**
 * Whether the browser really draws Chinese (issue 13 item 11). Without a CJK
 * font every Han character becomes the same empty box ("tofu"), so the page
 * "renders" but a screenshot shows nothing readable. Two different
 * characters drawn in the page's own font must therefore give different
 * pixels; with tofu they are identical. .ci/run installs fonts-noto-cjk.
 */
import type { Page } from 'playwright-core';

export async function drawsChinese(page: Page, selector: string): Promise<{ font: string; differs: boolean; inked: boolean }> {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) throw new Error(`no ${sel} on the page`);
    const font = getComputedStyle(el).font;
    const glyph = (ch: string) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 64;
      const ctx = canvas.getContext('2d')!;
      ctx.font = font.replace(/\d+(\.\d+)?px/, '48px');
      ctx.fillStyle = '#000';
      ctx.textBaseline = 'top';
      ctx.fillText(ch, 4, 4);
      return Array.from(ctx.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3));
    };
    const a = glyph('监');
    const b = glyph('护');
    return { font, differs: a.some((v, i) => v !== b[i]), inked: a.some((v) => v > 0) };
  }, selector);
}
