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
      "retrying in 1 min.",
    ]);
  } finally {
    await reset();
  }
});

Deno.test("durations are logged in human units, not raw milliseconds", async () => {
  const records = await captureLogs(["constellation", "supervisor"]);
  try {
    const observe = supervisionObserver({ redact: (text) => text });
    observe({
      type: "restart-scheduled",
      supervisor: "tenants",
      id: "shop",
      delayMs: 4_812.3,
      attempt: 2,
    });
    observe({
      type: "child-parked",
      supervisor: "tenants",
      id: "quiz",
      error: "401 Unauthorized",
      cause: "fatal",
      retryInMs: 260_507.72168797665,
    });
    assertEquals(renderedLogs(records), [
      "info: tenants/shop restarts in 4.8 s (attempt 2).",
      "error: tenants/quiz is failed (fatal): 401 Unauthorized; retrying in 4 min 21 s.",
    ]);
  } finally {
    await reset();
  }
});
