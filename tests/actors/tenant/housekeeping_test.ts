/**
 * The tenant's timers on a manual clock: the first reconciliation falls where the injected
 * `random` puts it, the next ones follow the configured interval, housekeeping repeats every
 * half minute, and a stop leaves no timer behind.
 */
import { getLogger } from "@logtape/logtape";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { Housekeeping, type TimerMsg } from "../../../actors/tenant/housekeeping.ts";
import type { TenantParts } from "../../../actors/tenant/tenant_build.ts";
import type { Database } from "../../../money/ports.ts";
import { assertEquals } from "../../support/assert.ts";
import { SHOP_PRODUCTS } from "../../support/shop_products.ts";
import { parseTestTenant } from "../../support/tenant_configs.ts";

/** Timers over fakes that count what they were asked to do; `posted` is what reached the actor. */
function timersWith(options: { random: () => number; reconcileIntervalSeconds?: number }) {
  const clock = new ManualClock(0);
  const config = parseTestTenant({
    products: SHOP_PRODUCTS,
    balance: { reconcileIntervalSeconds: options.reconcileIntervalSeconds ?? 600 },
  }, { token: "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
  const done = { expired: 0, pruned: 0, reconciled: 0 };
  const parts = {
    config,
    logger: getLogger(["test-housekeeping"]),
    payments: {
      expireDue: () => (done.expired++, Promise.resolve({ orders: 0, subscriptions: 0 })),
    },
    inbox: { prune: () => (done.pruned++, Promise.resolve(0)) },
    reconciler: { run: () => (done.reconciled++, Promise.resolve({})) },
  } as unknown as TenantParts;
  const posted: { at: number; msg: TimerMsg }[] = [];
  const timers = new Housekeeping(
    parts,
    { clock, db: {} as Database, random: options.random },
    (msg) => posted.push({ at: clock.now(), msg }),
  );
  return { clock, timers, posted, done };
}

Deno.test("the first reconciliation comes at random × one minute, then every interval", async () => {
  const { clock, timers, posted, done } = timersWith({ random: () => 0.25 });
  timers.startReconciling();
  await clock.advance(14_999);
  assertEquals(posted, []);
  await clock.advance(1);
  assertEquals(posted, [{ at: 15_000, msg: { type: "Reconcile" } }]);
  timers.reconcile(); // as the actor does on the message
  assertEquals(done.reconciled, 1);
  assertEquals(clock.nextTimerAt(), 15_000 + 600_000);
  timers.stop();
});

Deno.test("an interval shorter than a minute bounds the first reconciliation too", async () => {
  const { clock, timers, posted } = timersWith({ random: () => 0.5, reconcileIntervalSeconds: 40 });
  timers.startReconciling();
  await clock.advance(20_000);
  assertEquals(posted, [{ at: 20_000, msg: { type: "Reconcile" } }]);
});

Deno.test("housekeeping runs at once, then every 30 s; a stop cancels both timers", async () => {
  const { clock, timers, posted, done } = timersWith({ random: () => 0 });
  timers.startTicking();
  assertEquals(posted, [{ at: 0, msg: { type: "Tick" } }]);
  await timers.tick();
  assertEquals(done, { expired: 1, pruned: 1, reconciled: 0 });
  assertEquals(clock.nextTimerAt(), 30_000);
  timers.startReconciling();
  assertEquals(clock.pendingTimers, 2);
  timers.stop();
  assertEquals(clock.pendingTimers, 0);
});
