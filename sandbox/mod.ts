/**
 * The Constellation sandbox: a local Telegram Bot API emulator for tests, the demo and
 * benchmarks. Start one, create bots and users, point grammY at `sandbox.apiRoot`, and drive
 * the users from the test.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bot } from "grammy";
 * import { Sandbox } from "./mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann", stars: 100 });
 *
 * const bot = new Bot(shop.token, { client: { apiRoot: sandbox.apiRoot } });
 * bot.command("start", (ctx) => ctx.reply(`Hello, ${ctx.from?.first_name}!`));
 * const polling = bot.start();
 *
 * await ann.send(shop, "/start");
 * assert.equal((await ann.waitForMessage(shop)).text, "Hello, Ann!");
 * await bot.stop();
 * await polling;
 * ```
 * @module
 */

export { Sandbox, type SandboxOptions } from "./sandbox.ts";
export { SandboxBot } from "./sandbox_bot.ts";
export { type ClickResult, SandboxUser, type WaitOptions } from "./sandbox_user.ts";
export type { CallRecord } from "./world/bot_state.ts";
export type { PaymentOutcome } from "./world/checkout.ts";
export type { BotSettings, PreCheckoutTiming, UserSettings } from "./world/world.ts";
export type { ApiErrorBody } from "./errors.ts";
export { BOT_API_VERSION } from "./bot_api_spec.ts";
