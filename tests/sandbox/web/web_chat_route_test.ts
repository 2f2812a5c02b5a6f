import assert from "node:assert/strict";
import { Sandbox } from "../../../sandbox/mod.ts";
import { result } from "../api_helpers.ts";

Deno.test("the web chat shows both sides of a conversation, buttons and invoices", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ id: 77, firstName: "Ann", languageCode: "en", stars: 300 });
  await ann.send(shop, "/start");
  await result(sandbox.apiRoot, shop.token, "sendMessage", {
    chat_id: ann.id,
    text: "Pick one",
    reply_markup: {
      inline_keyboard: [[
        { text: "Credits", callback_data: "buy:credits" },
        { text: "Monthly", url: "https://t.me/$abcdef" },
        { text: "Site", url: "https://example.com/" },
      ]],
    },
  });
  await result(sandbox.apiRoot, shop.token, "sendInvoice", {
    chat_id: ann.id,
    title: "100 credits",
    description: "A pack.",
    payload: "order-1",
    currency: "XTR",
    prices: [{ label: "100 credits", amount: 50 }],
  });

  const answer = await fetch(`${sandbox.apiRoot}/_sandbox/chat/messages?user=77&bot=@shop_bot`);
  assert.equal(answer.status, 200);
  const { stars, messages } = await answer.json();
  assert.equal(stars, 300);
  assert.deepEqual(messages.map((m: { fromBot: boolean; text?: string }) => [m.fromBot, m.text]), [
    [false, "/start"],
    [true, "Pick one"],
    [true, undefined],
  ]);
  assert.deepEqual(messages[1].buttons, [[
    { text: "Credits", callbackData: "buy:credits" },
    { text: "Monthly", invoiceLink: "https://t.me/$abcdef" },
    { text: "Site", url: "https://example.com/" },
  ]]);
  assert.deepEqual(messages[2].invoice, {
    title: "100 credits",
    description: "A pack.",
    stars: 50,
    status: "open",
  });

  const script = await fetch(`${sandbox.apiRoot}/_sandbox/chat/assets/chat.js`);
  assert.match(script.headers.get("content-type") ?? "", /javascript/);
  assert.match(await script.text(), /\/_sandbox\/users\//);
  const page = await fetch(`${sandbox.apiRoot}/_sandbox/chat`);
  assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  await page.body?.cancel();
});

Deno.test("the web chat names an unknown user, bot or page", async () => {
  await using sandbox = await Sandbox.start();
  sandbox.createBot({ username: "shop_bot" });
  sandbox.createUser({ id: 77, firstName: "Ann" });
  const get = async (path: string) => {
    const answer = await fetch(`${sandbox.apiRoot}/_sandbox/chat${path}`);
    return { status: answer.status, error: (await answer.json()).error };
  };
  assert.deepEqual(await get("/messages?user=78&bot=shop_bot"), {
    status: 404,
    error: "no user 78",
  });
  assert.deepEqual(await get("/messages?user=77&bot=nope_bot"), {
    status: 404,
    error: "no bot @nope_bot",
  });
  assert.deepEqual(await get("/nowhere"), {
    status: 404,
    error: "no such page: /_sandbox/chat/nowhere",
  });
  const post = await fetch(`${sandbox.apiRoot}/_sandbox/chat/world`, { method: "POST" });
  assert.equal(post.status, 405);
  await post.body?.cancel();
});
