/**
 * The hub bundle the test children run (`node --enable-source-maps <bundle>`,
 * as `npm start` runs dist/hub.mjs) instead of `node --import tsx
 * hub/main.ts`: a tsx start cost ~1.9 s of CPU against ~0.3 s for the bundle
 * (`--help`, median of 5), and some thirty test files start hubs, on two cores.
 *
 * vitest's globalSetup (tests/helpers/hub-bundle-setup.ts) builds it once per
 * run with hub/tools/build-hub.ts and names it in HUB_TEST_BUNDLE for the
 * workers. It lies in a fresh folder directly under the repository root, not
 * in the system's temp dir and not in dist/ (npm start's): the bundle finds
 * the console (dashboard/dist), the PostgreSQL migrations and the packages it
 * leaves to node_modules relative to its own place, one level below the root,
 * and its source map names ../hub/*.ts, so stack traces point at the source.
 *
 * No vitest import: the long-run scripts (tests/long) start hubs through
 * hub-process.ts as well. Run outside vitest, the first hub a process starts
 * builds a bundle on demand (a few seconds, once) and removes it at exit.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startScriptNodeFlags } from '../../bench/targets/hub-target.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Set by the globalSetup for the test workers: the bundle's absolute path. */
export const HUB_BUNDLE_ENV = 'HUB_TEST_BUNDLE';

/** Folders named `<prefix><pid of the process that built it>-<random>` (ignored by git). */
const DIR_PREFIX = '.test-hub-';

export interface HubBundle {
  file: string;
  remove(): void;
}

/** Builds the hub into a new folder under the repository root; synchronous, so runHubCommand can stay so. */
export function buildHubBundle(): HubBundle {
  removeOrphans();
  const dir = mkdtempSync(join(REPO_ROOT, `${DIR_PREFIX}${process.pid}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const file = join(dir, 'hub.mjs');
  try {
    execFileSync(process.execPath, ['--import', 'tsx', 'hub/tools/build-hub.ts', '--outfile', relative(REPO_ROOT, file)], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    remove();
    throw err;
  }
  return { file, remove };
}

/**
 * Folders left by runs that were killed before their teardown (the pid in the
 * name no longer runs). Never another live run's: two runs in one checkout
 * each keep their own.
 */
function removeOrphans(): void {
  for (const name of readdirSync(REPO_ROOT)) {
    const pid = Number(name.startsWith(DIR_PREFIX) ? name.slice(DIR_PREFIX.length).split('-')[0] : NaN);
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    rmSync(join(REPO_ROOT, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let onDemand: HubBundle | undefined;

/** The bundle to run: the test run's, or one built now for this process (outside vitest). */
export function hubBundle(): string {
  const given = process.env[HUB_BUNDLE_ENV];
  if (given) return given;
  if (!onDemand) {
    onDemand = buildHubBundle();
    process.once('exit', onDemand.remove);
  }
  return onDemand.file;
}

/** The node arguments that start the hub: package.json's start script (--enable-source-maps), this bundle in place of dist/hub.mjs. */
export function hubNodeArgs(): string[] {
  return [...startScriptNodeFlags(), hubBundle()];
}
