/**
 * vitest globalSetup: builds the hub bundle the test children run, once per
 * test run and afresh (never a bundle an earlier run or `npm start` left: an
 * inherited HUB_TEST_BUNDLE is overwritten), names it to the workers in
 * HUB_TEST_BUNDLE (they inherit this process's environment), and removes it
 * when the run ends.
 */
import { buildHubBundle, HUB_BUNDLE_ENV, type HubBundle } from './hub-bundle.js';

/**
 * vitest loads this file once per project (files, postgres), each copy with
 * its own module state, in its one main process: the first copy builds, the
 * others reuse that bundle through this global.
 */
const THIS_RUN = Symbol.for('home-care-hub.tests.hub-bundle');
const shared = globalThis as { [THIS_RUN]?: HubBundle };

export default function setup(): () => void {
  if (shared[THIS_RUN]) return () => {};
  const bundle = buildHubBundle();
  shared[THIS_RUN] = bundle;
  process.env[HUB_BUNDLE_ENV] = bundle.file;
  // vitest tears every project down after the last test file, so no worker still runs the bundle.
  return () => {
    delete shared[THIS_RUN];
    delete process.env[HUB_BUNDLE_ENV];
    bundle.remove();
  };
}
