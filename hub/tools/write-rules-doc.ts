/**
 * `npm run rules:docs`: writes docs/RULES.md from the rule catalogue
 * (hub/rules/rules-doc.ts renders it; the rules-doc test fails if it drifts).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULES } from '../rules/catalog/index.js';
import { renderRulesDoc } from '../rules/rules-doc.js';

const path = fileURLToPath(new URL('../../docs/RULES.md', import.meta.url));
const text = renderRulesDoc(RULES);
writeFileSync(path, text);
console.log(`wrote docs/RULES.md (${RULES.length} rules, ${Buffer.byteLength(text)} bytes)`);
