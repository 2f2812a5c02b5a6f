import { assertEquals, assertTrue } from "../../../support/assert.ts";
import { buttonData, type Harness, startHarness } from "./harness.ts";
import type { SandboxUser } from "../../../../sandbox/mod.ts";

/** Ann subscribes to "monthly" through its link; returns the first charge id. */
async function subscribe(h: Harness, user: SandboxUser): Promise<string> {
  await user.send(h.account, "/start buy_monthly");
  await h.pump();
  const [[button]] = user.lastMessage(h.account)!.reply_markup!.inline_keyboard;
  assertTrue("url" in button);
  const outcome = await h.pay(user, button.url);
  if (outcome.status !== "paid") throw new Error(`subscribing failed: ${outcome.status}`);
  return outcome.chargeId;
}

Deno.test("/subscriptions lists state and end, and its buttons switch renewal off and on", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 500 });
  const chargeId = await subscribe(h, ann);
  await ann.send(h.account, "/subscriptions");
  await h.pump();
  const list = ann.lastMessage(h.account)!;
  assertEquals(
    list.text,
    "Your subscriptions:\n• Monthly membership: active, renews automatically, until 2025-01-31 00:00 UTC",
  );
  assertEquals(list.reply_markup?.inline_keyboard, [[{
    text: "Stop renewing “Monthly membership”",
    callback_data: "stars:sub:cancel:monthly",
  }]]);

  assertEquals(await h.click(ann, list, "stars:sub:cancel:monthly"), { answered: true });
  const [cancel] = h.account.callsTo("editUserStarSubscription");
  assertEquals(cancel.params, {
    user_id: ann.id,
    telegram_payment_charge_id: chargeId,
    is_canceled: true,
  });
  assertTrue(cancel.ok);
  const confirmation = ann.lastMessage(h.account)!;
  assertEquals(
    confirmation.text,
    "“Monthly membership” will not renew. It stays active until 2025-01-31 00:00 UTC.",
  );
  const redrawn = ann.messages(h.account).find((m) => m.message_id === list.message_id)!;
  assertEquals(
    redrawn.text,
    "Your subscriptions:\n• Monthly membership: active, will not renew, until 2025-01-31 00:00 UTC",
  );
  assertEquals(buttonData(redrawn), [["stars:sub:resume:monthly"]]);
  assertEquals((await h.payments.subscriptions.list(ann.id))[0].state, "canceled");

  await h.click(ann, redrawn, "stars:sub:resume:monthly");
  const [, resume] = h.account.callsTo("editUserStarSubscription");
  assertEquals(resume.params.is_canceled, false);
  assertEquals(resume.params.telegram_payment_charge_id, chargeId);
  assertEquals(
    ann.lastMessage(h.account)?.text,
    "“Monthly membership” will renew automatically again.",
  );
  const again = ann.messages(h.account).find((m) => m.message_id === list.message_id)!;
  assertEquals(buttonData(again), [["stars:sub:cancel:monthly"]]);
  assertEquals((await h.payments.subscriptions.list(ann.id))[0].state, "active");
});

Deno.test("a subscription that ended has no buttons, and its old buttons are stale", async () => {
  await using h = await startHarness();
  const olga = h.user({ firstName: "Ольга", languageCode: "ru", stars: 500 });
  await subscribe(h, olga);
  await olga.send(h.account, "/subscriptions");
  await h.pump();
  const list = olga.lastMessage(h.account)!;
  await h.click(olga, list, "stars:sub:cancel:monthly");
  await h.clock.advance(31 * 24 * 3600 * 1000);
  await h.payments.expireDue();
  await olga.send(h.account, "/subscriptions");
  await h.pump();
  const ended = olga.lastMessage(h.account)!;
  assertEquals(
    ended.text,
    "Ваши подписки:\n• Monthly membership: истекла, до 2025-01-31 00:00 UTC",
  );
  assertEquals(ended.reply_markup, undefined);
  const calls = h.account.callsTo("editUserStarSubscription").length;
  const redrawn = olga.messages(h.account).find((m) => m.message_id === list.message_id)!;
  assertEquals(await h.click(olga, redrawn, "stars:sub:resume:monthly"), {
    answered: true,
    text: "Эта кнопка больше не действует.",
  });
  assertEquals(h.account.callsTo("editUserStarSubscription").length, calls);
});

Deno.test("/subscriptions without any says so; a cancel button without one is stale", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await ann.send(h.account, "/subscriptions");
  await h.pump();
  assertEquals(ann.lastMessage(h.account)?.text, "You have no subscriptions.");
  const forged = await h.buttonMessage(ann, "stars:sub:cancel:monthly");
  assertEquals(await h.click(ann, forged, "stars:sub:cancel:monthly"), {
    answered: true,
    text: "This button is no longer valid.",
  });
  assertEquals(h.account.callsTo("editUserStarSubscription").length, 0);
});

Deno.test("the menu's subscriptions button sends the list", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 500 });
  await subscribe(h, ann);
  await ann.send(h.account, "/stars");
  await h.pump();
  await h.click(ann, ann.lastMessage(h.account)!, "stars:subs");
  assertEquals(buttonData(ann.lastMessage(h.account)), [["stars:sub:cancel:monthly"]]);
});
