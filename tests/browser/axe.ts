/**
 * WCAG AA colour contrast, checked by axe-core in the page (issue 13 item 10).
 * axe-core (Deque, MPL-2.0) is the reference engine for this: it computes each
 * text node's real foreground and background through layers, opacity and
 * inherited styles, which a hand-written check would get wrong. It is read
 * from node_modules and evaluated over the DevTools protocol, which the page's
 * CSP (script-src 'self') does not apply to; the console never ships it.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

let source: Promise<string> | undefined;
const axeSource = () => (source ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));

export interface ContrastProblem {
  target: string;
  text: string;
  summary: string;
}

/** Every text on the page below WCAG 2 AA contrast (4.5:1, 3:1 for large text), as readable lines. */
export async function contrastProblems(page: Page): Promise<ContrastProblem[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await axeSource());
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: { nodes: { target: unknown[]; html: string; failureSummary?: string }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast'] }, resultTypes: ['violations'] });
    return result.violations.flatMap((v) => v.nodes.map((n) => ({ target: n.target.join(' '), text: n.html.slice(0, 120), summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 200) })));
  });
}
