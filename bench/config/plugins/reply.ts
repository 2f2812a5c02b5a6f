/**
 * The benchmark's tenant plugin: answers every text message with one `sendMessage`. Commands
 * never reach it (the runtime handles them first). The plain grammY baseline installs this very
 * function on its `Bot`, so both sides run the same handler; in the runtime it runs in the
 * tenant's plugin worker, and its `sendMessage` is made by the tenant.
 *
 * @example
 * ```ts ignore
 * // bench/config/tenants/<id>.json: { "token": "env:…", "plugin": "plugins/reply.ts" }
 * import reply from "./reply.ts";
 * reply(bot); // a plain grammY Bot is a Composer too
 * ```
 * @module
 */
import type { Composer, Context } from "grammy";

/** Replies `got: <text>` to each text message. */
export default function reply(bot: Composer<Context>): void {
  bot.on("message:text", async (ctx) => {
    await ctx.reply(`got: ${ctx.message.text}`);
  });
}
