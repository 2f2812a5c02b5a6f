import { reset } from "@logtape/logtape";
import { supervisionObserver } from "../../../actors/runtime/supervision_log.ts";
import { SecretRedactor } from "../../../adapters/observability/redact.ts";
import { assertEquals } from "../../support/assert.ts";
import { captureLogs, renderedLogs } from "../../support/log_capture.ts";

Deno.test("a parked child's error is logged through the redactor the observer was given", async () => {
  const records = await captureLogs(["constellation", "supervisor"]);
  try {
    const redactor = new SecretRedactor();
    redactor.add("hook-secret-for-the-observer");
    const observe = supervisionObserver({ redact: (text) => redactor.redact(text) });
    observe({
      type: "child-parked",
      supervisor: "tenants",
      id: "shop",
      error: "setWebhook refused secret_token=hook-secret-for-the-observer",
      cause: "fatal",
      retryInMs: 60_000,
    });
    assertEquals(renderedLogs(records), [
      "error: tenants/shop is failed (fatal): setWebhook refused secret_token=<redacted>; " +
      "retrying in 60000 ms.",
    ]);
  } finally {
    await reset();
  }
});
