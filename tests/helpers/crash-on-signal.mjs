/**
 * Preloaded into a hub child process (NODE_OPTIONS=--import …) by
 * tests/crash-restart.test.ts: on SIGUSR2 it makes the process fail the way a
 * bug would — an exception thrown from a callback, or a rejected promise
 * nobody handles — so the hub's last-resort handlers are tested without any
 * test-only code in the hub itself. Plain JavaScript: it loads before tsx.
 */
process.on('SIGUSR2', () => {
  const kind = process.env.TEST_CRASH_KIND ?? 'exception';
  setImmediate(() => {
    if (kind === 'rejection') void Promise.reject(new Error('test crash: a promise nobody handled'));
    else throw new Error('test crash: a bug in a callback');
  });
});
