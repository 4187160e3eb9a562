/** docs/RULES.md is generated from the catalogue and cannot drift from it (issue 3). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RULES } from '../../hub/rules/catalog/index.js';
import { defineRule } from '../../hub/rules/define-rule.js';
import { paramDocs, renderRulesDoc } from '../../hub/rules/rules-doc.js';

const committed = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'RULES.md'), 'utf8');

describe('docs/RULES.md', () => {
  it('is exactly what the generator makes from the catalogue now (run `npm run rules:docs` after changing a rule)', () => {
    expect(committed).toBe(renderRulesDoc(RULES));
  });

  it.each(RULES.map((r) => [r.id, r] as const))('documents rule %s with each of its parameters and defaults', (id, rule) => {
    expect(committed).toContain(`## ${id}\n`);
    expect(committed).toContain(rule.description);
    for (const p of paramDocs(rule)) expect(committed).toContain(`| \`${p.name}\` | ${p.type} | \`${JSON.stringify(p.default)}\` |`);
  });

  it('refuses a parameter without a description or a default', () => {
    const base = { id: 'x', description: 'x', alertKind: 'x', severity: 'low' as const, on: { deviceKinds: ['bracelet'] }, evaluate: () => null };
    expect(() => paramDocs(defineRule({ ...base, params: z.object({ n: z.number().default(1) }) }))).toThrow(/n has no \.describe\(\)/);
    expect(() => paramDocs(defineRule({ ...base, params: z.object({ n: z.number().describe('a number') }) }))).toThrow(/n has no default/);
  });
});
