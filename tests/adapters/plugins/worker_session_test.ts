/** A worker shared by more tenants may hold more memory, within a bound. */
import { assertEquals } from "../../support/assert.ts";
import { memoryLimitOf } from "../../../adapters/plugins/worker_session.ts";

const MIB = 1024 * 1024;

Deno.test("a worker's memory limit grows by an eighth per tenant beyond the first, up to 4×", () => {
  assertEquals(memoryLimitOf(128 * MIB, 0), 128 * MIB);
  assertEquals(memoryLimitOf(128 * MIB, 1), 128 * MIB);
  assertEquals(memoryLimitOf(128 * MIB, 9), 256 * MIB);
  assertEquals(memoryLimitOf(128 * MIB, 25), 512 * MIB);
  assertEquals(memoryLimitOf(128 * MIB, 1_000), 512 * MIB);
});
