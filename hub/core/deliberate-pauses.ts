/**
 * Event-loop time the hub spends in one go on purpose: the collection that
 * gives idle heap back (hub/ops/idle-memory.ts), 100-300 ms. Kept for the
 * whole process (there is one event loop) so that the utilisation samplers
 * (hub/ingest/load-shedder.ts) leave it out: a pause the hub chose to make
 * while it was quiet is not overload, and must not start shedding telemetry
 * or log "OVERLOAD".
 */
let doneMs = 0;
let since: number | undefined;

export function beginPause(now = performance.now()): void {
  since ??= now;
}

export function endPause(now = performance.now()): void {
  if (since === undefined) return;
  doneMs += now - since;
  since = undefined;
}

/** Deliberate pause time so far, in ms, the one under way included. */
export function pausedMs(now = performance.now()): number {
  return doneMs + (since === undefined ? 0 : now - since);
}
