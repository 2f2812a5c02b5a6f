import { assertEquals } from "../../support/assert.ts";
import { countTenantStates, describeTenantStates } from "../../../adapters/http/runtime_view.ts";

Deno.test("tenants are counted by state, in lifecycle order", () => {
  const tenants = [
    { state: "invalid" as const },
    { state: "running" as const },
    { state: "backoff" as const },
    { state: "running" as const },
  ];
  assertEquals(Object.entries(countTenantStates(tenants)), [
    ["running", 2],
    ["backoff", 1],
    ["invalid", 1],
  ]);
  assertEquals(describeTenantStates(tenants), "4 tenants (2 running, 1 backoff, 1 invalid)");
  // One tenant in backoff is not "running 1 tenant".
  assertEquals(describeTenantStates([{ state: "backoff" }]), "1 tenant (1 backoff)");
  assertEquals(describeTenantStates([]), "no tenant");
});
