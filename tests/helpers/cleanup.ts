/**
 * Closes whatever a test opened (hubs, MQTT clients, sockets, temp dirs) after
 * each test, last opened first, so clients go before the hub they talk to.
 */
import { afterEach } from 'vitest';

export type Keep = <T>(value: T, close: (value: T) => unknown) => T;

export function useCleanup(): Keep {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  return (value, close) => {
    closers.push(() => close(value));
    return value;
  };
}

export const closeHub = (h: { stop(): Promise<void> }) => h.stop();
export const endClient = (c: { endAsync(force?: boolean): Promise<void> }) => c.endAsync(true);
export const closeStream = (s: { close(): void }) => s.close();

/** `later(() => server.close())`: run after each test, last registered first — for closers that need no kept value. */
export function useLater(): (close: () => unknown) => void {
  const keep = useCleanup();
  return (close) => void keep(undefined, close);
}
