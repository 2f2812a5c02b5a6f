import { assertEquals, assertRejects, assertThrows } from "../../support/assert.ts";
import { FairBudget, type Permit } from "../../../actors/kernel/fair_budget.ts";

/** Lets granted acquires settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Runs `tasks` work items for `owner`, each holding a permit for a turn of the event loop; logs
 * who started when, and checks the caps at every start.
 */
async function work(
  budget: FairBudget<string>,
  owner: string,
  tasks: number,
  log: string[],
): Promise<void> {
  const running: Promise<void>[] = [];
  for (let i = 0; i < tasks; i++) {
    // Acquired one after another, as the dispatcher does: the next waits for a permit.
    const permit = await budget.acquire(owner);
    log.push(owner);
    assertEquals(budget.heldBy(owner) <= budget.perOwner && budget.inUse <= budget.total, true);
    running.push(settle().then(() => permit.release()));
  }
  await Promise.all(running);
}

Deno.test("the total and the per-owner cap hold; a release wakes the next waiter", async () => {
  const budget = new FairBudget<string>({ total: 3, perOwner: 2 });
  const a1 = await budget.acquire("a");
  await budget.acquire("a");
  let third: Permit | undefined;
  void budget.acquire("a").then((permit) => (third = permit));
  await settle();
  // "a" is at its cap although one permit is free: "b" takes it at once.
  assertEquals([budget.inUse, budget.waiting, third], [2, 1, undefined]);
  const b1 = await budget.acquire("b");
  let fourth = false;
  void budget.acquire("b").then(() => (fourth = true));
  await settle();
  assertEquals([budget.inUse, budget.waiting, fourth], [3, 2, false]);
  a1.release();
  await settle();
  // "b" queued in turn before "a" dropped below its cap: the freed permit is b's.
  assertEquals([budget.heldBy("a"), budget.heldBy("b"), fourth, third], [1, 2, true, undefined]);
  b1.release();
  await settle();
  assertEquals([budget.heldBy("a"), budget.heldBy("b"), budget.waiting], [2, 1, 0]);
  third!.release();
  assertEquals(budget.inUse, 2);
});

Deno.test("a busy owner and a quiet one both progress: permits go round in turn", async () => {
  const budget = new FairBudget<string>({ total: 4, perOwner: 4 });
  const log: string[] = [];
  // The busy owner takes everything first; the quiet ones arrive while it holds it all.
  const busy = work(budget, "busy", 200, log);
  await Promise.resolve();
  const quiet = [work(budget, "ann", 5, log), work(budget, "bob", 5, log)];
  await Promise.all([busy, ...quiet]);
  assertEquals(log.length, 210);
  // Each quiet owner finished long before the busy one's backlog, one permit per round.
  const lastQuiet = Math.max(log.lastIndexOf("ann"), log.lastIndexOf("bob"));
  assertEquals(lastQuiet < 30, true, `the quiet owners were done at ${lastQuiet}`);
  assertEquals([budget.inUse, budget.waiting], [0, 0]);
});

Deno.test("owners at their cap wait while permits are free; the others go on", async () => {
  const budget = new FairBudget<string>({ total: 10, perOwner: 2 });
  const log: string[] = [];
  let most = 0;
  const watch = setInterval(() => (most = Math.max(most, budget.inUse)), 0);
  await Promise.all([work(budget, "a", 20, log), work(budget, "b", 20, log)]);
  clearInterval(watch);
  assertEquals([log.length, budget.inUse], [40, 0]);
  assertEquals(most <= 4, true, `${most} in use with two owners capped at 2`);
});

Deno.test("an aborted acquire takes no permit and leaves the queue as it was", async () => {
  const budget = new FairBudget<string>({ total: 1 });
  const held = await budget.acquire("a");
  const stop = new AbortController();
  const aborted = budget.acquire("b", stop.signal);
  let next: Permit | undefined;
  void budget.acquire("c").then((permit) => (next = permit));
  stop.abort(new Error("stopping"));
  await assertRejects(() => aborted, Error, "stopping");
  assertEquals(budget.waiting, 1);
  held.release();
  await settle();
  assertEquals([budget.heldBy("b"), budget.heldBy("c"), next !== undefined], [0, 1, true]);
  await assertRejects(() => budget.acquire("d", stop.signal), Error, "stopping");
  next!.release();
  assertEquals([budget.inUse, budget.waiting], [0, 0]);
});

Deno.test("no leak on errors: work that throws gives its permit back; twice is harmless", async () => {
  const budget = new FairBudget<string>({ total: 2 });
  const failing = async () => {
    using _permit = await budget.acquire("a");
    throw new Error("handler failed");
  };
  for (let i = 0; i < 5; i++) await assertRejects(failing, Error, "handler failed");
  assertEquals(budget.inUse, 0);
  const permit = await budget.acquire("a");
  permit.release();
  permit.release();
  assertEquals([budget.inUse, budget.heldBy("a")], [0, 0]);
});

Deno.test("sizes are validated; perOwner defaults to, and never exceeds, the total", () => {
  assertThrows(() => new FairBudget({ total: 0 }), RangeError, "total");
  assertThrows(() => new FairBudget({ total: 2, perOwner: 1.5 }), RangeError, "perOwner");
  assertEquals(new FairBudget({ total: 5 }).perOwner, 5);
  assertEquals(new FairBudget({ total: 5, perOwner: 50 }).perOwner, 5);
});
