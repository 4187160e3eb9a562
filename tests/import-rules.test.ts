/**
 * DESIGN.md §2 "who may import whom", enforced: every import specifier in the
 * tree is read and checked against the folder rules.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/hub-process.js';

const SOURCE = /\.(ts|tsx|mts|js|mjs)$/;
const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

interface Found {
  file: string;
  specifier: string;
  typeOnly: boolean;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(REPO_ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...(await sourceFiles(path)));
    } else if (SOURCE.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

async function importsOf(folder: string): Promise<Found[]> {
  const found: Found[] = [];
  for (const file of await sourceFiles(folder)) {
    const text = await readFile(join(REPO_ROOT, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const specifier = m[3] ?? m[4] ?? m[5];
      if (specifier) found.push({ file, specifier, typeOnly: Boolean(m[2]) });
    }
  }
  return found;
}

/** The top-level folder a relative import lands in, or the package name. */
function target(found: Found): { folder?: string; pkg?: string } {
  if (found.specifier.startsWith('.')) {
    const absolute = resolve(REPO_ROOT, dirname(found.file), found.specifier);
    return { folder: relative(REPO_ROOT, absolute).split('/')[0] };
  }
  if (found.specifier.startsWith('node:')) return { pkg: 'node:' };
  const parts = found.specifier.split('/');
  return { pkg: found.specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] };
}

function violations(found: Found[], allowed: (t: { folder?: string; pkg?: string }, f: Found) => boolean): string[] {
  return found.filter((f) => !allowed(target(f), f)).map((f) => `${f.file} imports ${f.specifier}`);
}

describe('folder import rules (DESIGN.md §2)', () => {
  it('devices/ imports zod only: no node:*, no I/O', async () => {
    const found = await importsOf('devices');
    const runtime = found.filter((f) => !f.file.startsWith('devices/tools/'));
    expect(runtime.length).toBeGreaterThan(5);
    expect(violations(runtime, (t) => t.folder === 'devices' || t.pkg === 'zod')).toEqual([]);
  });

  it('simulators/ imports devices/, mqtt and node built-ins — never hub/', async () => {
    const found = await importsOf('simulators');
    expect(found.length).toBeGreaterThan(0);
    expect(violations(found, (t) => t.folder === 'simulators' || t.folder === 'devices' || t.pkg === 'mqtt' || t.pkg === 'node:')).toEqual([]);
  });

  it('hub/ never imports simulators/, dashboard/ or tests/', async () => {
    const found = await importsOf('hub');
    expect(found.length).toBeGreaterThan(20);
    expect(violations(found, (t) => !['simulators', 'dashboard', 'tests'].includes(t.folder ?? ''))).toEqual([]);
  });

  it('hub/rules/ is pure: no node:*, no storage, broker, api or registry implementation', async () => {
    const found = await importsOf('hub/rules');
    const forbidden = /\/(storage|broker|api|realtime|registry\/registry|alerts\/alert-service)(\.js|\/)/;
    expect(violations(found, (t, f) => t.pkg !== 'node:' && (f.typeOnly || !forbidden.test(f.specifier)))).toEqual([]);
  });

  it('only the composition root (hub.ts, hub/compose) and the tools reach storage directly', async () => {
    const found = await importsOf('hub');
    const storageUsers = found.filter((f) => /storage\//.test(f.specifier) && !f.file.startsWith('hub/storage/') && !f.typeOnly);
    // The composition root is hub/hub.ts and the pieces it is split into (hub/compose/).
    expect(storageUsers.map((f) => f.file).filter((file) => file !== 'hub/hub.ts' && !file.startsWith('hub/compose/') && !file.startsWith('hub/tools/'))).toEqual([]);
  });

  it('only the storage adapters reach data through lowdb, pg or node:fs (issue 11 §1 "every store behind a port")', async () => {
    const found = await importsOf('hub');
    const storageLibs = /^(lowdb|pg|node-pg-migrate|write-file-atomic|node:fs(\/promises)?)$/;
    // Files outside hub/storage/ that touch the file system for something that is not a store's data.
    const notData: Record<string, string> = {
      'hub/config/tls-certificates.ts': 'reads the TLS certificate and key named in the config',
      'hub/api/console-static.ts': 'serves the built console (dashboard/dist)',
      'hub/core/data-dir.ts': 'checks at start that the data dir is writable and private; reads no records',
    };
    const users = found.filter((f) => storageLibs.test(f.specifier) && !f.file.startsWith('hub/storage/') && !f.file.startsWith('hub/tools/'));
    expect(users.length).toBeGreaterThan(0); // the allowed ones above: proves the check sees them
    expect(users.filter((f) => !(f.file in notData)).map((f) => `${f.file} imports ${f.specifier}`)).toEqual([]);
  });

  it('inside hub/, code imports only its own layer or those below it: device → ingest → rules → alerts → people (issue 11)', async () => {
    // Lower numbers are closer to the device. Type-only imports may also name a
    // type of a higher layer (the bus's event types in core/ name alerts), but
    // nothing below the API may import the API or the composition root at all.
    const LAYERS: Record<string, number> = {
      core: 0,
      config: 1,
      registry: 1,
      storage: 1,
      ingest: 2,
      rules: 3,
      alerts: 4,
      commands: 4,
      audit: 4,
      auth: 5,
      homes: 5,
      visits: 5,
      reports: 5,
      // Issue 13: call-backs react to alerts; presence is told by the stream, read by the API.
      callbacks: 5,
      shifts: 5,
      drills: 5,
      notify: 5,
      realtime: 5,
      broker: 5,
      // Issue 12: health, metrics and the pipeline heartbeat watch the broker, journal and stream.
      ops: 5,
      // Aedes' Redis parts and the command relay, beside the broker they configure (issue 12).
      cluster: 5,
      api: 6,
      compose: 7,
    };
    const layerOf = (path: string): number | undefined => {
      const parts = path.split('/');
      if (parts[0] !== 'hub') return undefined;
      if (parts.length === 2) return 8; // hub/hub.ts, hub/main.ts: the composition root
      return parts[1] === 'tools' ? 9 : LAYERS[parts[1]!];
    };
    const found = (await importsOf('hub')).filter((f) => f.specifier.startsWith('.'));
    expect(found.length).toBeGreaterThan(100);
    const wrong = found.filter((f) => {
      const from = layerOf(f.file);
      const to = layerOf(relative(REPO_ROOT, resolve(REPO_ROOT, dirname(f.file), f.specifier)));
      if (from === undefined || to === undefined) return false;
      if (f.typeOnly) return to >= 6 && from < to;
      return to > from;
    });
    expect(wrong.map((f) => `${f.file} imports ${f.specifier}`)).toEqual([]);
    // every folder of hub/ has a layer: a new folder must be placed deliberately
    const folders = new Set(found.map((f) => f.file.split('/')).filter((p) => p.length > 2 && p[1] !== 'tools').map((p) => p[1]!));
    expect([...folders].filter((folder) => !(folder in LAYERS))).toEqual([]);
  });

  it('dashboard/ has only type imports from hub/ and devices/', async () => {
    const found = await importsOf('dashboard');
    expect(violations(found, (t, f) => !['hub', 'devices'].includes(t.folder ?? '') || f.typeOnly)).toEqual([]);
  });

  it('nothing imports tests/', async () => {
    const all = (await Promise.all(['hub', 'devices', 'simulators', 'dashboard'].map(importsOf))).flat();
    expect(violations(all, (t) => t.folder !== 'tests')).toEqual([]);
  });
});
