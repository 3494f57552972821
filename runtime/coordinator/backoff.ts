// Bounded exponential backoff with jitter (reference: 10 ms → 2 s, 10 tries).
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  attempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 10, maxMs: 2000, attempts: 10 };

/** Delay before retry number `attempt` (1-based), with ±50 % jitter. */
export function delayFor(policy: BackoffPolicy, attempt: number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** (attempt - 1));
  return Math.round(base * (0.5 + Math.random()));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
