/**
 * The updates a worker gets in one message, and the calls and outcomes it sends back in one, are
 * still each their own: one update failing fails no other, a call whose arguments no message
 * can carry fails alone, and one user's updates are handled in the order they were handed over.
 */
import { assertEquals, assertStringIncludes, assertTrue } from "../../support/assert.ts";
import { PluginFailure } from "../../../adapters/plugins/worker_session.ts";
import { BOT_INFO, PluginFixture, textUpdate } from "./plugin_fixture.ts";

const messageFrom = (userId: number, text: string) => textUpdate(text, userId);

/** Echoes each text; fails on "boom"; `bad` makes a call no message can carry. */
const ECHO_PLUGIN = `
export default (bot) => {
  bot.on("message:text", async (ctx) => {
    if (ctx.message.text === "boom") throw new Error("boom from the plugin");
    if (ctx.message.text === "bad") {
      await ctx.api.raw.sendMessage({ chat_id: ctx.chat.id, text: "x", extra: () => {} });
    }
    await ctx.reply(ctx.chat.id + ":" + ctx.message.text);
  });
};
`;

async function echo(): Promise<PluginFixture> {
  const fixture = await PluginFixture.create(ECHO_PLUGIN);
  await fixture.host.start(BOT_INFO);
  await fixture.run(messageFrom(1, "warm")); // the worker is up: what follows is batched
  fixture.apiCalls.length = 0;
  return fixture;
}

Deno.test("updates handed over together end each on its own: one failing fails no other", async () => {
  await using fixture = await echo();
  const updates = [
    messageFrom(1, "a"),
    messageFrom(2, "boom"),
    messageFrom(3, "b"),
    messageFrom(4, "bad"),
    messageFrom(5, "c"),
  ];
  const outcomes = await Promise.allSettled(updates.map((update) => fixture.run(update)));
  assertEquals(outcomes.map((outcome) => outcome.status), [
    "fulfilled",
    "rejected",
    "fulfilled",
    "rejected",
    "fulfilled",
  ]);
  const [, boom, , bad] = outcomes as PromiseRejectedResult[];
  assertTrue(boom.reason instanceof PluginFailure, String(boom.reason));
  assertStringIncludes(boom.reason.message, "boom from the plugin");
  assertTrue(bad.reason instanceof PluginFailure, String(bad.reason));
  assertStringIncludes(bad.reason.message, "could not be cloned");
  assertEquals(fixture.texts.toSorted(), ["1:a", "3:b", "5:c"]);
});

Deno.test("one user's updates handed over together are handled in their order", async () => {
  await using fixture = await echo();
  const texts = Array.from({ length: 20 }, (_, i) => `m${i}`);
  // Two users interleaved, all handed over in one turn (one message to the worker).
  await Promise.all(
    texts.flatMap((text) => [fixture.run(messageFrom(1, text)), fixture.run(messageFrom(2, text))]),
  );
  const of = (userId: number) =>
    fixture.texts.map(String).filter((text) => text.startsWith(`${userId}:`));
  assertEquals(of(1), texts.map((text) => `1:${text}`));
  assertEquals(of(2), texts.map((text) => `2:${text}`));
});
