import { FatalError } from "../../../actors/kernel/child.ts";
import { partFailure } from "../../../actors/tenant/part_failure.ts";
import { assertEquals, assertTrue } from "../../support/assert.ts";

Deno.test("a failed part crashes the tenant naming the part; a fatal cause stays fatal", () => {
  const revoked = new FatalError("401: Unauthorized");
  const fatal = partFailure("poller", revoked);
  assertTrue(fatal instanceof FatalError);
  assertEquals(fatal.message, "poller failed: 401: Unauthorized");
  assertEquals(fatal.cause, revoked);

  const glitch = new Error("disk I/O error");
  const crash = partFailure("payment update 7", glitch);
  assertTrue(!(crash instanceof FatalError));
  assertEquals(crash.message, "payment update 7 failed: disk I/O error");
  assertEquals(crash.cause, glitch);
});
