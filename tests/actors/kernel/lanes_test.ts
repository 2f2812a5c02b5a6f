import { assertEquals, assertThrows } from "../../support/assert.ts";
import { Lanes } from "../../../actors/kernel/lanes.ts";

Deno.test("tasks of one key run in order, one at a time", async () => {
  const lanes = new Lanes();
  const log: string[] = [];
  let running = 0;
  for (const name of ["a", "b", "c"]) {
    await lanes.add("user", async () => {
      running++;
      assertEquals(running, 1);
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 2));
      log.push(`end ${name}`);
      running--;
    });
  }
  await lanes.drain();
  assertEquals(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
});

Deno.test("a slow task on one key does not delay another key", async () => {
  const lanes = new Lanes();
  const slow = Promise.withResolvers<void>();
  const log: string[] = [];
  await lanes.add(1, async () => {
    await slow.promise;
    log.push("slow");
  });
  await lanes.add(2, () => {
    log.push("fast");
    return Promise.resolve();
  });
  await new Promise((r) => setTimeout(r, 5));
  assertEquals(log, ["fast"]);
  slow.resolve();
  await lanes.drain();
  assertEquals(log, ["fast", "slow"]);
});

Deno.test("a failing task is reported and its lane continues", async () => {
  const errors: unknown[] = [];
  const lanes = new Lanes({ onError: (error, key) => errors.push([String(error), key]) });
  const log: string[] = [];
  await lanes.add("k", () => Promise.reject(new Error("boom")));
  await lanes.add("k", () => {
    log.push("next");
    return Promise.resolve();
  });
  await lanes.drain();
  assertEquals(errors, [["Error: boom", "k"]]);
  assertEquals(log, ["next"]);
});

Deno.test("add waits for room when the lanes are full", async () => {
  const lanes = new Lanes({ capacity: 2 });
  const hold = Promise.withResolvers<void>();
  await lanes.add(1, () => hold.promise);
  await lanes.add(2, () => hold.promise);
  let third = false;
  const adding = lanes.add(3, async () => {}).then(() => (third = true));
  await new Promise((r) => setTimeout(r, 5));
  assertEquals([third, lanes.size], [false, 2]);
  hold.resolve();
  await adding;
  await lanes.drain();
  assertEquals([third, lanes.size], [true, 0]);
});

Deno.test("drain resolves at once when idle and capacity is validated", async () => {
  await new Lanes().drain();
  assertThrows(() => new Lanes({ capacity: 0 }), RangeError, "capacity");
});
