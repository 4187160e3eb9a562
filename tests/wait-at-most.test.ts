/** The bounded wait every stop uses (hub/core/wait-at-most.ts). */
import { describe, expect, it } from 'vitest';
import { waitAtMost } from '../hub/core/wait-at-most.js';

describe('waitAtMost', () => {
  it('is true as soon as the work settles, fulfilled or rejected', async () => {
    expect(await waitAtMost(Promise.resolve('done'), 60_000)).toBe(true);
    expect(await waitAtMost(Promise.reject(new Error('failed')), 60_000)).toBe(true);
  });

  it('is false at the bound when the work never settles', async () => {
    expect(await waitAtMost(new Promise(() => undefined), 10)).toBe(false);
  });
});
