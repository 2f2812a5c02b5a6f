/**
 * A plugin may declare which updates it wants (`export const updates`, grammY filter queries):
 * the others then never cross to its worker. The declaration must never cost the plugin an
 * update its handlers for those queries would see: the same plugin without it sees the same.
 */
import type { Update } from "grammy/types";
import { assertEquals, assertRejects, assertStringIncludes } from "../../support/assert.ts";
import { PluginFailure } from "../../../adapters/plugins/worker_session.ts";
import { BOT_INFO, PluginFixture, textUpdate, USER_ID } from "./plugin_fixture.ts";

const QUERIES = `["message:text", "callback_query:data", "edited_message:photo"]`;

/**
 * Reports every update that reaches its worker ("crossed") and each its `bot.on(QUERIES)`
 * handler sees ("seen"); with `declared`, it exports QUERIES as the updates it wants.
 */
function recordingPlugin(declared: boolean): string {
  return `
${declared ? `export const updates = ${QUERIES};` : ""}
export default (bot) => {
  bot.use(async (ctx, next) => {
    await ctx.api.sendMessage(${USER_ID}, "crossed " + ctx.update.update_id);
    await next();
  });
  bot.on(${QUERIES}, (ctx) => ctx.api.sendMessage(${USER_ID}, "seen " + ctx.update.update_id));
};
`;
}

const from = { id: USER_ID, is_bot: false, first_name: "Ann" };
const chat = { id: USER_ID, type: "private", first_name: "Ann" };
const message = (id: number, rest: object) => ({ message_id: id, date: 1, chat, from, ...rest });

/** Updates of many kinds, some matching the queries, some close to them but not matching. */
function samples(): Update[] {
  const photo = [{ file_id: "p", file_unique_id: "p", width: 1, height: 1 }];
  const updates = [
    { message: message(1, { text: "hello" }) },
    {
      message: message(2, {
        text: "/start",
        entities: [{ type: "bot_command", offset: 0, length: 6 }],
      }),
    },
    { message: message(3, { photo }) },
    { message: message(4, { photo, caption: "a caption" }) },
    { edited_message: message(5, { text: "edited" }) },
    { edited_message: message(6, { photo, edit_date: 2 }) },
    {
      channel_post: {
        message_id: 7,
        date: 1,
        chat: { id: -1, type: "channel", title: "c" },
        text: "post",
      },
    },
    { callback_query: { id: "q1", from, chat_instance: "i", data: "buy" } },
    { callback_query: { id: "q2", from, chat_instance: "i", game_short_name: "g" } },
    { inline_query: { id: "i1", from, query: "x", offset: "" } },
    {
      my_chat_member: {
        chat,
        from,
        date: 1,
        old_chat_member: { status: "member", user: from },
        new_chat_member: { status: "kicked", user: from, until_date: 0 },
      },
    },
  ];
  return updates.map((update, i) => ({ update_id: 500 + i, ...update }) as Update);
}

/** Runs every sample; what the plugin sent, and which updates it passed on. */
async function runAll(declared: boolean) {
  await using fixture = await PluginFixture.create(recordingPlugin(declared));
  await fixture.host.start(BOT_INFO);
  await fixture.run(textUpdate("start the worker")); // the declaration counts once installed
  fixture.apiCalls.length = 0;
  const passedOn: number[] = [];
  for (const update of samples()) {
    if (await fixture.run(update)) passedOn.push(update.update_id);
  }
  const texts = fixture.texts.map(String);
  return {
    crossed: texts.filter((text) => text.startsWith("crossed")),
    seen: texts.filter((text) => text.startsWith("seen")),
    passedOn,
  };
}

Deno.test("a declared filter drops no update the plugin's handlers would see", async () => {
  const without = await runAll(false);
  const declared = await runAll(true);
  assertEquals(declared.seen, without.seen, "the same updates reach the handlers");
  assertEquals(declared.passedOn, without.passedOn, "the same updates reach the fallbacks");
  assertEquals(without.seen, ["seen 500", "seen 501", "seen 505", "seen 507"]);
  // Without the declaration every update crossed; with it, only those the plugin wants.
  assertEquals(without.crossed.length, samples().length);
  assertEquals(declared.crossed, ["crossed 500", "crossed 501", "crossed 505", "crossed 507"]);
});

Deno.test("a declaration that is no list of filter queries fails the plugin's install", async () => {
  for (
    const [declaration, problem] of [
      [`"message"`, "must be a list of grammY filter queries"],
      [`["message:nonsense"]`, "nonsense"],
    ]
  ) {
    await using fixture = await PluginFixture.create(
      `export const updates = ${declaration};\nexport default () => {};`,
    );
    await fixture.host.start(BOT_INFO);
    const error = await assertRejects(() => fixture.run(textUpdate("hi")), PluginFailure);
    assertStringIncludes(error.message, problem);
  }
});
