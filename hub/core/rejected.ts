/** A promise that rejects without ever counting as unhandled, yet still rejects for whoever awaits it. */
export function rejected(err: unknown): Promise<never> {
  const p = Promise.reject(err);
  p.catch(() => undefined);
  return p;
}
