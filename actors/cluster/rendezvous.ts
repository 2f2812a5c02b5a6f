/**
 * Where each tenant should run: rendezvous (highest-random-weight) hashing over the live
 * instances. Every instance computes the same answer from the same list, without talking to the
 * others; when an instance joins or leaves, only the tenants it wins or held move (about 1/N of
 * them), and the rest stay where they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { desiredOwner } from "./rendezvous.ts";
 *
 * const tenants = Array.from({ length: 300 }, (_, i) => `bot${i}`);
 * const before = tenants.map((t) => desiredOwner(t, ["a", "b"]));
 * const after = tenants.map((t) => desiredOwner(t, ["a", "b", "c"]));
 * const moved = tenants.filter((_, i) => before[i] !== after[i]);
 * // Only tenants that "c" now wins move, about a third of them.
 * assert.ok(moved.every((tenant) => after[tenants.indexOf(tenant)] === "c"));
 * assert.ok(moved.length > 60 && moved.length < 140, `${moved.length} moved`);
 * assert.equal(desiredOwner("bot1", []), undefined);
 * ```
 * @module
 */

/** The instance that should own `tenantId` among `instances`; `undefined` when there is none. */
export function desiredOwner(tenantId: string, instances: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const instance of instances) {
    const score = weight(instance, tenantId);
    // Ties (rare) go to the smaller id, so every instance breaks them alike.
    if (score > bestScore || (score === bestScore && best !== undefined && instance < best)) {
      best = instance;
      bestScore = score;
    }
  }
  return best;
}

/** A well-mixed 32-bit weight of the pair: FNV-1a over both ids, then murmur3's finaliser. */
function weight(instance: string, tenantId: string): number {
  let hash = 0x811c9dc5;
  const text = `${instance}\u0000${tenantId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
