/**
 * The dispatcher's pre-checkout path (issue 15): a `pre_checkout_query` runs while its batch is
 * still being committed to the inbox, and is marked done only after that commit; the batch's
 * other updates run only once the commit is durable. Checked with a database whose commit waits
 * until the test lets it go, so "before the commit" is observable. And an update's permit is
 * given back when its handler ends, not when its done-mark is committed.
 */
import type { Update } from "grammy/types";
import { UpdateDispatcher } from "../../../actors/tenant/update_dispatcher.ts";
import { updateBudget } from "../../../actors/tenant/update_budget.ts";
import { systemClock } from "../../../actors/kernel/clock.ts";
import type { SqlRunner } from "../../../money/ports.ts";
import { assertEquals } from "../../support/assert.ts";
import { waitUntil } from "../../support/wait.ts";

const ann = { id: 7, is_bot: false, first_name: "Ann" };

const preCheckout: Update = {
  update_id: 1,
  pre_checkout_query: {
    id: "q1",
    from: ann,
    currency: "XTR",
    total_amount: 1,
    invoice_payload: "order:1",
  },
};

const text: Update = {
  update_id: 2,
  message: {
    message_id: 1,
    date: 0,
    chat: { id: 7, type: "private", first_name: "Ann" },
    from: ann,
    text: "hi",
  },
};

/** A dispatcher on fakes: what ran, what was marked done, and a commit held until `commit()`. */
function dispatcherWithHeldCommit() {
  const events: string[] = [];
  let commit = () => {};
  const committed = new Promise<void>((resolve) => (commit = resolve));
  const inbox = {
    record: (_tx: SqlRunner, updates: readonly Update[]) => Promise.resolve([...updates]),
    reject: () => Promise.resolve(),
    markDone: (_db: unknown, updateId: number) => {
      events.push(`done ${updateId}`);
      return Promise.resolve();
    },
  };
  const db = {
    transaction: async <T>(work: (tx: SqlRunner) => Promise<T>) => {
      const result = await work({} as SqlRunner);
      await committed;
      events.push("committed");
      return result;
    },
  };
  const bot = {
    handleUpdate: (update: Update) => {
      events.push(`ran ${update.update_id}`);
      return Promise.resolve();
    },
  };
  const parts = {
    bot,
    inbox,
    outbox: {},
    texts: {},
    logger: {},
    config: { id: "shop", locale: "en", admins: [] },
  } as unknown as ConstructorParameters<typeof UpdateDispatcher>[0];
  const env = { clock: systemClock, db } as unknown as ConstructorParameters<
    typeof UpdateDispatcher
  >[1];
  const dispatcher = new UpdateDispatcher(parts, env, {
    failed: (part, error) => events.push(`failed ${part}: ${error}`),
    queuedNotice: () => {},
  });
  return { dispatcher, events, commit };
}

Deno.test("a pre-checkout query runs before its batch's inbox commit, and is marked done after it", async () => {
  const { dispatcher, events, commit } = dispatcherWithHeldCommit();
  const dispatched = dispatcher.recordAndDispatch([text, preCheckout]);
  await waitUntil("the pre-checkout query ran", () => events.includes("ran 1"));
  assertEquals(events, ["ran 1"], "nothing else before the commit");

  commit();
  await dispatched;
  await dispatcher.drain();
  assertEquals(events.indexOf("committed") < events.indexOf("done 1"), true, events.join(", "));
  assertEquals(events.indexOf("committed") < events.indexOf("ran 2"), true, events.join(", "));
  assertEquals(events.filter((e) => e.startsWith("ran")).sort(), ["ran 1", "ran 2"]);
  assertEquals(events.filter((e) => e.startsWith("failed")), []);
});

Deno.test("an update's permit comes back when its handler ends, before its mark is committed", async () => {
  const budget = updateBudget({ total: 1, perTenant: 1 });
  const ran: number[] = [];
  const markCommitted = Promise.withResolvers<void>();
  const marked: number[] = [];
  const parts = {
    bot: {
      handleUpdate: (update: Update) => (ran.push(update.update_id), Promise.resolve()),
    },
    inbox: {
      record: (_tx: SqlRunner, updates: readonly Update[]) => Promise.resolve([...updates]),
      reject: () => Promise.resolve(),
      markDone: async (_db: unknown, updateId: number) => {
        await markCommitted.promise;
        marked.push(updateId);
      },
    },
    outbox: {},
    texts: {},
    logger: {},
    config: { id: "shop", locale: "en", admins: [] },
  } as unknown as ConstructorParameters<typeof UpdateDispatcher>[0];
  const env = {
    clock: systemClock,
    db: { transaction: <T>(work: (tx: SqlRunner) => Promise<T>) => work({} as SqlRunner) },
    updateBudget: budget,
  } as unknown as ConstructorParameters<typeof UpdateDispatcher>[1];
  const dispatcher = new UpdateDispatcher(parts, env, {
    failed: (part, error) => {
      throw new Error(`${part}: ${error}`);
    },
    queuedNotice: () => {},
  });
  const second = { ...text, update_id: 3, message: { ...text.message!, from: { ...ann, id: 8 } } };
  // One permit for two users' updates: the second runs only once the first gave it back.
  await dispatcher.recordAndDispatch([text, second]);
  await waitUntil("both handlers ran", () => ran.length === 2);
  assertEquals(marked, [], "while neither mark is committed");
  markCommitted.resolve();
  await dispatcher.drain();
  assertEquals(marked.sort(), [2, 3]);
  assertEquals(budget.inUse, 0);
});
