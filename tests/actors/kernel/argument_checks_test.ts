import { redactTokens } from "../../../adapters/observability/redact.ts";
import { assertEquals, assertThrows } from "../../support/assert.ts";
import { requireTenantId, shown } from "../../../actors/kernel/argument_checks.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { Ledger } from "../../../money/stores/ledger.ts";
import { Outbox } from "../../../money/delivery/outbox.ts";

Deno.test("shown quotes strings and prints everything else as it is", () => {
  assertEquals([shown("100"), shown(100), shown(undefined), shown(null)], [
    '"100"',
    "100",
    "undefined",
    "null",
  ]);
});

Deno.test("requireTenantId passes a tenant id and refuses a blank or missing one", () => {
  requireTenantId("ledger", "shop");
  for (const bad of ["", "  ", undefined, 7]) {
    assertThrows(
      () => requireTenantId("ledger", bad),
      TypeError,
      `ledger: tenantId must be a non-empty string, got ${shown(bad)}`,
    );
  }
});

Deno.test("the ledger and the outbox refuse a blank tenant id, each naming itself", () => {
  const clock = new ManualClock(0);
  assertThrows(
    () => new Ledger(" ", clock),
    TypeError,
    'ledger: tenantId must be a non-empty string, got " "',
  );
  assertThrows(
    () => new Outbox("", clock, redactTokens),
    TypeError,
    'outbox: tenantId must be a non-empty string, got ""',
  );
});
