/**
 * Waits for `work` to settle, but no longer than `ms`: a stop that lets
 * handlers, deliveries or reads in flight finish must not hang on one that
 * never does. Resolves true when the work settled (fulfilled or rejected: the
 * caller only waits, it does not take the result), false on the bound. The
 * timer is cleared either way, so nothing is left to keep the process alive.
 */
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    const settled = work.then(
      () => true,
      () => true,
    );
    return await Promise.race([settled, bound]);
  } finally {
    clearTimeout(timer);
  }
}
