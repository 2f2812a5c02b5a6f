import assert from "node:assert/strict";
import {
  applyJitter,
  backoffDelay,
  type BackoffPolicy,
  DEFAULT_BACKOFF_POLICY,
  resolveBackoffPolicy,
  validateBackoffPolicy,
} from "../../../actors/kernel/backoff.ts";

const NO_JITTER: BackoffPolicy = {
  minMs: 100,
  maxMs: 1_000,
  factor: 2,
  jitter: 0,
  resetAfterMs: 5_000,
};

/** mulberry32: a tiny seeded generator, so jitter tests are repeatable. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("backoffDelay grows by factor per attempt and stops at maxMs", () => {
  const delays = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(NO_JITTER, attempt, () => 0));
  assert.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000, 1_000]);
});

Deno.test("backoffDelay with factor 1 is constant", () => {
  const policy = { ...NO_JITTER, factor: 1 };
  assert.deepEqual([0, 5, 50].map((a) => backoffDelay(policy, a, () => 0)), [100, 100, 100]);
});

Deno.test("backoffDelay stays at maxMs for streaks long enough to overflow factor ** attempt", () => {
  assert.equal(backoffDelay(NO_JITTER, 5_000, () => 0), 1_000);
  assert.equal(backoffDelay({ ...NO_JITTER, minMs: 0 }, 5_000, () => 0), 0);
});

Deno.test("jitter takes at most the jitter fraction off the delay", () => {
  const policy = { ...NO_JITTER, jitter: 0.2 };
  assert.equal(backoffDelay(policy, 3, () => 0), 800, "random 0 leaves the full delay");
  assert.equal(backoffDelay(policy, 3, () => 1), 640, "random 1 takes the whole 20% off");
  assert.equal(backoffDelay(policy, 3, () => 0.5), 720);
  const random = seeded(42);
  for (let i = 0; i < 1_000; i++) {
    const attempt = i % 8;
    const base = Math.min(1_000, 100 * 2 ** attempt);
    const delay = backoffDelay(policy, attempt, random);
    assert.ok(delay >= base * 0.8 && delay <= base, `attempt ${attempt}: ${delay} outside bounds`);
  }
});

Deno.test("jitter 1 may take the whole delay off, never more", () => {
  assert.equal(applyJitter(1_000, 1, () => 1), 0);
  assert.equal(applyJitter(1_000, 1, () => 0.25), 750);
});

Deno.test("backoffDelay is deterministic for the same random sequence", () => {
  const policy = { ...NO_JITTER, jitter: 0.5 };
  const run = (random: () => number) => [0, 1, 2, 3, 4].map((a) => backoffDelay(policy, a, random));
  assert.deepEqual(run(seeded(7)), run(seeded(7)));
  assert.notDeepEqual(run(seeded(7)), run(seeded(8)));
});

Deno.test("resolveBackoffPolicy fills missing fields from the defaults", () => {
  assert.deepEqual(resolveBackoffPolicy(), DEFAULT_BACKOFF_POLICY);
  assert.deepEqual(resolveBackoffPolicy({ maxMs: 5_000 }), {
    ...DEFAULT_BACKOFF_POLICY,
    maxMs: 5_000,
  });
  assert.throws(
    () => resolveBackoffPolicy({ maxMs: 100 }),
    /maxMs \(100\) must not be below minMs \(500\)/,
  );
});

Deno.test("the default policy is valid and matches the documented values", () => {
  assert.equal(validateBackoffPolicy(DEFAULT_BACKOFF_POLICY), DEFAULT_BACKOFF_POLICY);
  assert.deepEqual(DEFAULT_BACKOFF_POLICY, {
    minMs: 500,
    maxMs: 30_000,
    factor: 2,
    jitter: 0.2,
    resetAfterMs: 60_000,
  });
});

Deno.test("validateBackoffPolicy names the field that is wrong", () => {
  const cases: [Partial<BackoffPolicy>, RegExp][] = [
    [{ minMs: -1 }, /minMs must be a finite number >= 0, got -1/],
    [{ minMs: Number.NaN }, /minMs must be a finite number >= 0, got NaN/],
    [{ maxMs: Infinity }, /maxMs must be a finite number >= 0, got Infinity/],
    [{ minMs: 200, maxMs: 100 }, /maxMs \(100\) must not be below minMs \(200\)/],
    [{ factor: 0.5 }, /factor must be a finite number >= 1, got 0.5/],
    [{ jitter: 1.5 }, /jitter must be between 0 and 1, got 1.5/],
    [{ jitter: -0.1 }, /jitter must be between 0 and 1, got -0.1/],
    [{ jitter: Number.NaN }, /jitter must be between 0 and 1, got NaN/],
    [{ resetAfterMs: -5 }, /resetAfterMs must be a finite number >= 0, got -5/],
    [{ minMs: "100" as unknown as number }, /minMs must be a finite number >= 0, got "100"/],
  ];
  for (const [override, message] of cases) {
    assert.throws(() => validateBackoffPolicy({ ...NO_JITTER, ...override }), {
      name: "RangeError",
      message,
    });
  }
});

Deno.test("backoffDelay rejects a bad attempt, a bad policy and a bad random value", () => {
  assert.throws(
    () => backoffDelay(NO_JITTER, -1, () => 0),
    /attempt must be an integer >= 0, got -1/,
  );
  assert.throws(() => backoffDelay(NO_JITTER, 1.5, () => 0), /attempt must be an integer >= 0/);
  assert.throws(() => backoffDelay({ ...NO_JITTER, factor: 0 }, 0, () => 0), /factor/);
  assert.throws(
    () => backoffDelay(NO_JITTER, 0, () => 1.5),
    /random\(\) must return a number in \[0, 1\], got 1.5/,
  );
  assert.throws(() => backoffDelay(NO_JITTER, 0, () => -0.1), /random\(\)/);
});
