/**
 * One shared clock for every "age" on screen, ticking on the second so all
 * timers change together (one render pass, not hundreds of timers).
 */
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<(now: number) => void>();
let timer: number | undefined;

function schedule(): void {
  timer = window.setTimeout(() => {
    const now = Date.now();
    for (const listener of [...listeners]) listener(now);
    schedule();
  }, 1_000 - (Date.now() % 1_000) + 5);
}

export function onTick(listener: (now: number) => void): () => void {
  listeners.add(listener);
  if (timer === undefined) schedule();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      clearTimeout(timer);
      timer = undefined;
    }
  };
}

/** The current time, re-rendering the component every second. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => onTick(setNow), []);
  return now;
}
