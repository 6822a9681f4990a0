/**
 * The time every function reads. In AWS it is the system clock; local mode can move it forward
 * (`POST /__local/clock`) to watch retention and expiry happen, in the same process as the handlers.
 */
let offsetMs = 0;

export function now(): Date {
  return new Date(Date.now() + offsetMs);
}

/** Local mode only: moves the clock forward by `ms` (never back, so expiry stays monotonic). */
export function advanceClock(ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new Error('The clock only moves forward');
  offsetMs += ms;
}
