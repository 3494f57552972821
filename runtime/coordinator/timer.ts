// The clock and timers of the reactive path as a port, so tests can move time by hand
// (runtime/testing/faults.ts ManualTimer) instead of sleeping.
export interface Timer {
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a handle for `clear`. */
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** setTimeout's ceiling; longer waits re-arm in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const realTimer: Timer = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS)),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
