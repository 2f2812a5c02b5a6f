/**
 * The budget of updates in flight, seen from a tenant: every permit comes back however the
 * update ended (a handler that threw, a stop, a restart), a tenant short of permits holds back
 * its poller without blocking the release of its own permits, and a stop that cuts its wait
 * short loses nothing: the next start runs what was left.
 */
import type { Message } from "grammy/types";
import { updateBudget } from "../../../actors/tenant/update_budget.ts";
import type { SandboxBot, SandboxUser } from "../../../sandbox/mod.ts";
import { assertEquals } from "../../support/assert.ts";
import { GATE_PLUGIN, Gates, TenantWorld } from "../../support/tenant_world.ts";
import { waitUntil } from "../../support/wait.ts";

/** A gate plugin that also fails on `/boom`. */
const PLUGIN = `${GATE_PLUGIN}
export const boom = (bot: { command(name: string, handler: () => never): void }) =>
  bot.command("boom", () => {
    throw new Error("boom");
  });
`.replace(
  "export default (bot: Composer) => {",
  "export default (bot: Composer) => {\n  boom(bot as never);",
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The bot's messages to `user` whose text matches `pattern`. */
function said(user: SandboxUser, bot: SandboxBot, pattern: RegExp) {
  return user.messages(bot).filter((m: Message) => pattern.test(m.text ?? ""));
}

Deno.test("permits come back when handlers throw", async () => {
  await using world = await TenantWorld.start();
  const account = world.sandbox.createBot({ username: "shop_bot" });
  const budget = updateBudget({ total: 4, perTenant: 2 });
  await world.startTenant(await world.tenant(account, { plugin: PLUGIN }), {
    updateBudget: budget,
  });
  const users = [0, 1, 2, 3, 4].map((i) => world.sandbox.createUser({ firstName: `U${i}` }));
  for (const user of users) await user.send(account, "/boom");
  // Five failures through two permits: each was given back, or the third would never run.
  await waitUntil(
    "every user told it failed",
    () => users.every((user) => said(user, account, /Something went wrong/).length === 1),
  );
  await waitUntil("the permits back", () => budget.inUse === 0);
  assertEquals(budget.waiting, 0);
});

Deno.test("a tenant short of permits holds its poller; a stop gives all back; a restart runs the rest", async () => {
  await using world = await TenantWorld.start();
  using gates = Gates.of(world);
  const account = world.sandbox.createBot({ username: "shop_bot" });
  const config = await world.tenant(account, { plugin: PLUGIN });
  const budget = updateBudget({ total: 10, perTenant: 2 });
  const first = await world.startTenant(config, { updateBudget: budget });
  const users = [0, 1, 2, 3].map((i) => world.sandbox.createUser({ firstName: `U${i}` }));
  for (const [i, user] of users.entries()) await user.send(account, `/slow u${i}`);

  // Two run (one permit each); the batch waits for a third, and so does the poller.
  await waitUntil(
    "two slow tasks started",
    () =>
      users.filter((user, i) => said(user, account, new RegExp(`u${i} started`)).length > 0)
        .length === 2,
  );
  assertEquals([budget.inUse, budget.waiting], [2, 1]);
  const polls = account.callsTo("getUpdates").length;
  await sleep(1_500); // longer than a test tenant's long poll
  assertEquals(account.callsTo("getUpdates").length, polls, "the poller waited for the batch");

  // The stop cuts the wait short; the running tasks finish and give their permits back.
  const stopping = first.stop();
  for (let i = 0; i < users.length; i++) gates.open(`u${i}`);
  await stopping;
  assertEquals([budget.inUse, budget.waiting], [0, 0]);

  // The two never queued were recorded: the next start runs them, and nothing runs twice.
  await world.startTenant(config, { updateBudget: budget });
  await waitUntil(
    "every slow task done",
    () => users.every((user, i) => said(user, account, new RegExp(`u${i} done`)).length === 1),
  );
  await waitUntil("the permits back", () => budget.inUse === 0);
  for (const [i, user] of users.entries()) {
    assertEquals(said(user, account, new RegExp(`u${i} started`)).length, 1, `u${i}`);
  }
});

Deno.test("the default budget: 200 updates in flight on either engine, 100 per tenant", () => {
  const budget = updateBudget();
  assertEquals([budget.total, budget.perOwner], [200, 100]);
  const set = updateBudget({ total: 150 });
  assertEquals([set.total, set.perOwner], [150, 100], "the setting wins");
  assertEquals(updateBudget({ total: 50 }).perOwner, 50, "never more per tenant than in total");
});
