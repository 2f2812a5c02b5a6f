/**
 * Exponential backoff with jitter: how long a supervisor waits before restarting a child that
 * keeps failing. The delay doubles (by default) with each consecutive failure up to a ceiling,
 * and a random fraction is taken off so that many bots failing together (one network outage
 * hits every tenant in the process) do not all come back in the same millisecond.
 *
 * The randomness is injected, so a test that passes `() => 0` gets the exact, unjittered delay.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay, resolveBackoffPolicy } from "./backoff.ts";
 *
 * const policy = resolveBackoffPolicy({ minMs: 100, maxMs: 1_000 });
 * const noJitter = () => 0;
 * assert.equal(backoffDelay(policy, 0, noJitter), 100);
 * assert.equal(backoffDelay(policy, 3, noJitter), 800);
 * assert.equal(backoffDelay(policy, 9, noJitter), 1_000); // capped at maxMs
 * // The most jitter (20% by default) takes a fifth off.
 * assert.equal(backoffDelay(policy, 3, () => 1), 640);
 * ```
 * @module
 */
import { shown } from "./argument_checks.ts";

/** How restart delays grow and when they start over. */
export interface BackoffPolicy {
  /** Delay after the first failure, in ms. */
  readonly minMs: number;
  /** Ceiling for the delay, in ms; growth stops here. */
  readonly maxMs: number;
  /** Multiplier applied per consecutive failure (1 means a constant delay). */
  readonly factor: number;
  /** Fraction of the delay, 0..1, that is randomised away; 0 disables jitter. */
  readonly jitter: number;
  /** A child that ran this long without failing starts again from `minMs`, in ms. */
  readonly resetAfterMs: number;
}

/** Defaults for a process hosting many Telegram bots. */
export const DEFAULT_BACKOFF_POLICY: BackoffPolicy = Object.freeze({
  // Half a second heals a dropped socket or a brief 5xx almost unnoticed, yet a child that
  // crashes while starting cannot spin the CPU: it gets at most two tries per second.
  minMs: 500,
  // Thirty seconds bounds how long a bot stays down after the outage that broke it has ended,
  // and matches the usual long-polling timeout, so a bot never waits longer than one poll.
  maxMs: 30_000,
  // Doubling reaches the ceiling in seven steps (0.5, 1, 2, 4, 8, 16, 30 s): quick retries for
  // blips, few requests during a real outage.
  factor: 2,
  // Twenty percent spreads a herd of bots restarting after a shared failure over a window wide
  // enough to avoid a burst against the Bot API, while each delay stays predictable enough to
  // read in logs.
  jitter: 0.2,
  // One minute of clean running is twice the longest delay: a child that survives that long has
  // proved its start works, so its next failure is a new incident, not the same one again.
  resetAfterMs: 60_000,
});

function requireFinite(name: string, value: unknown, min: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new RangeError(
      `backoff policy: ${name} must be a finite number >= ${min}, got ${shown(value)}`,
    );
  }
}

/** Checks every field of `policy` and returns it; throws a `RangeError` naming the bad field. */
export function validateBackoffPolicy(policy: BackoffPolicy): BackoffPolicy {
  requireFinite("minMs", policy.minMs, 0);
  requireFinite("maxMs", policy.maxMs, 0);
  if (policy.maxMs < policy.minMs) {
    throw new RangeError(
      `backoff policy: maxMs (${policy.maxMs}) must not be below minMs (${policy.minMs})`,
    );
  }
  // A factor below 1 would make delays shrink as failures pile up, the opposite of backing off.
  requireFinite("factor", policy.factor, 1);
  if (
    typeof policy.jitter !== "number" || !(policy.jitter >= 0 && policy.jitter <= 1)
  ) {
    throw new RangeError(
      `backoff policy: jitter must be between 0 and 1, got ${shown(policy.jitter)}`,
    );
  }
  requireFinite("resetAfterMs", policy.resetAfterMs, 0);
  return policy;
}

/**
 * Fills the fields missing from `overrides` with {@linkcode DEFAULT_BACKOFF_POLICY} and
 * validates the result.
 */
export function resolveBackoffPolicy(overrides: Partial<BackoffPolicy> = {}): BackoffPolicy {
  return validateBackoffPolicy({ ...DEFAULT_BACKOFF_POLICY, ...overrides });
}

/**
 * Takes a random share of at most `jitter` off `delayMs`: the result lies in
 * `[delayMs * (1 - jitter), delayMs]`. `random` must return a number in `[0, 1]`.
 *
 * Subtracting (rather than "full jitter", a uniform pick in `[0, delay]`) keeps the configured
 * delay a true ceiling and keeps a floor under it: full jitter may pick a delay near zero,
 * which defeats `minMs` exactly when a child is crashing in a loop, and makes growth invisible
 * in logs. Subtractive jitter still desynchronises a herd, which is all jitter is for here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyJitter } from "./backoff.ts";
 *
 * assert.equal(applyJitter(1_000, 0.2, () => 0), 1_000);
 * assert.equal(applyJitter(1_000, 0.2, () => 0.5), 900);
 * assert.equal(applyJitter(1_000, 0.2, () => 1), 800);
 * ```
 */
export function applyJitter(delayMs: number, jitter: number, random: () => number): number {
  const roll = random();
  if (typeof roll !== "number" || !(roll >= 0 && roll <= 1)) {
    throw new RangeError(`backoff: random() must return a number in [0, 1], got ${shown(roll)}`);
  }
  return delayMs * (1 - jitter * roll);
}

/**
 * The delay before restart number `attempt + 1`, where `attempt` counts consecutive failures
 * from 0: `min(maxMs, minMs * factor ** attempt)` with {@linkcode applyJitter} applied.
 * Deterministic for a given `random`.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number,
): number {
  validateBackoffPolicy(policy);
  if (!Number.isSafeInteger(attempt) || attempt < 0) {
    throw new RangeError(`backoff: attempt must be an integer >= 0, got ${shown(attempt)}`);
  }
  // factor ** attempt overflows to Infinity for long failure streaks; min() then yields maxMs.
  // A zero minMs stays zero rather than becoming 0 * Infinity = NaN.
  const grown = policy.minMs === 0
    ? 0
    : Math.min(policy.maxMs, policy.minMs * policy.factor ** attempt);
  return applyJitter(grown, policy.jitter, random);
}
