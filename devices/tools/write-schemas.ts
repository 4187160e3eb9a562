/**
 * `npm run schemas`: writes docs/schemas/*.json and the generated device
 * tables of docs/PROTOCOL.md from the catalogue. The only file under devices/
 * that does I/O — it is a build script, never imported by the hub.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchemaFiles } from './json-schemas.js';
import { spliceKindSection } from './protocol-tables.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const schemasDir = join(root, 'docs', 'schemas');
const protocolPath = join(root, 'docs', 'PROTOCOL.md');

const files = buildSchemaFiles();
mkdirSync(schemasDir, { recursive: true });
for (const [name, content] of Object.entries(files)) {
  const path = join(schemasDir, name);
  writeFileSync(path, content);
  console.log(`wrote ${relative(root, path)} (${Buffer.byteLength(content)} bytes)`);
}
// A kind removed from the catalogue must not leave its schema behind as if still supported.
for (const name of readdirSync(schemasDir)) {
  if (name.endsWith('.json') && !(name in files)) {
    rmSync(join(schemasDir, name));
    console.log(`removed ${relative(root, join(schemasDir, name))} (no longer in the catalogue)`);
  }
}

const doc = readFileSync(protocolPath, 'utf8');
writeFileSync(protocolPath, spliceKindSection(doc));
console.log(`wrote ${relative(root, protocolPath)} (device kind tables)`);
