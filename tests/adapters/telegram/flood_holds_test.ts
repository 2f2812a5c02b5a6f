import { Api, GrammyError } from "grammy";
import { assertEquals, assertTrue } from "../../support/assert.ts";
import { floodHolds } from "../../../adapters/telegram/flood_holds.ts";
import { SendPacer } from "../../../adapters/telegram/send_pacer.ts";
import { nativeFetch } from "../../../adapters/telegram/native_fetch.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { Sandbox } from "../../../sandbox/mod.ts";
import { waitUntil } from "../../support/wait.ts";

async function world() {
  const sandbox = await Sandbox.start();
  const shop = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  const bob = sandbox.createUser({ firstName: "Bob" });
  await ann.send(shop, "/start");
  await bob.send(shop, "/start");
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock });
  const api = new Api(shop.token, { apiRoot: sandbox.apiRoot, fetch: nativeFetch });
  api.config.use(floodHolds(pacer));
  return { sandbox, shop, ann, bob, clock, pacer, api };
}

const tooMany = (seconds: number) => ({
  error_code: 429,
  description: `Too Many Requests: retry after ${seconds}`,
  parameters: { retry_after: seconds },
});

Deno.test("a reply to a chat Telegram asked to wait goes after the hold; others go at once", async () => {
  const { sandbox, shop, ann, bob, clock, api } = await world();
  sandbox.failNext(shop.token, "sendMessage", tooMany(3));
  const refused = await api.sendMessage(ann.id, "too fast").catch((error) => error);
  assertTrue(refused instanceof GrammyError && refused.error_code === 429);

  let annReplied = false;
  const toAnn = api.sendMessage(ann.id, "later").then(() => (annReplied = true));
  await api.sendMessage(bob.id, "at once");
  assertEquals(bob.lastMessage(shop)?.text, "at once");
  await clock.advance(2_999);
  assertEquals(annReplied, false, "the reply waits out Ann's hold");
  await clock.advance(1);
  await toAnn;
  assertEquals(ann.lastMessage(shop)?.text, "later");
  await sandbox.close();
});

Deno.test("429s on two chats hold the bot's proactive sends, not its replies", async () => {
  const { sandbox, shop, ann, bob, pacer, api } = await world();
  sandbox.failNext(shop.token, "sendMessage", tooMany(5), 2);
  await api.sendMessage(ann.id, "one").catch(() => {});
  await api.sendMessage(bob.id, "two").catch(() => {});
  assertEquals(pacer.holdOf(null), 5_000);
  // A reply to a third user is not held.
  const cy = sandbox.createUser({ firstName: "Cy" });
  await cy.send(shop, "/start");
  await api.sendMessage(cy.id, "hello");
  await waitUntil("Cy's reply", () => cy.lastMessage(shop)?.text === "hello");
  await sandbox.close();
});

Deno.test("a 429 on a call to no chat holds the whole bot", async () => {
  const { sandbox, shop, api, pacer } = await world();
  sandbox.failNext(shop.token, "setMyCommands", tooMany(2));
  await api.setMyCommands([{ command: "start", description: "Start" }]).catch(() => {});
  assertEquals(pacer.holdOf(null), 2_000);
  await sandbox.close();
});
