import { Composer, type Context } from "grammy";
import { getLogger } from "@logtape/logtape";
import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { installPlugin } from "../../../adapters/plugins/load_plugin.ts";
import { starsServiceOf } from "../../../adapters/plugins/plugin_api.ts";
import type { PaymentServices } from "../../../money/payments/services.ts";
import { FatalError } from "../../../actors/kernel/child.ts";

const tenant = { id: "oracle", logger: getLogger(["constellation", "test"]) };

/** Payment services stand-ins that record what a plugin asked of them. */
function recordingPayments() {
  const calls: string[] = [];
  const payments = {
    credits: {
      balance: (userId: number) => {
        calls.push(`balance ${userId}`);
        return Promise.resolve(7);
      },
      deduct: (userId: number, amount: number) => {
        calls.push(`deduct ${userId} ${amount}`);
        return Promise.resolve({ ok: false, balance: 1, shortfall: amount - 1 });
      },
      history: (userId: number, page?: number) => {
        calls.push(`history ${userId} ${page}`);
        return Promise.resolve({ entries: [], total: 0, page: 1, pages: 1 });
      },
    },
    checkout: {
      offer: (userId: number, chatId: number, productId: string) => {
        calls.push(`offer ${userId} ${chatId} ${productId}`);
        return Promise.resolve({ kind: "refused" });
      },
    },
    refunds: {
      refund: () => {
        calls.push("refund");
        return Promise.resolve();
      },
    },
  } as unknown as PaymentServices;
  return { payments, calls };
}

async function pluginFile(source: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "constellation-plugin-" });
  const path = `${dir}/plugin.ts`;
  await Deno.writeTextFile(path, source);
  return path;
}

Deno.test("a plugin gets a composer and a Stars service limited to what plugins may do", async () => {
  const { payments, calls } = recordingPayments();
  const stars = starsServiceOf(payments);
  assertEquals(Object.keys(stars).sort(), ["balance", "deduct", "history", "offer"]);
  const path = await pluginFile(`
    export default async (bot, stars, tenant) => {
      const balance = await stars.balance(1);
      bot.command("hi", (ctx) => ctx.reply(tenant.id + " " + balance));
      await stars.deduct(1, 3, { reason: "r", idempotencyKey: "k" });
      await stars.offer(1, 1, "pack", "en");
      await stars.history(1, 2);
    };
  `);
  const composer = await installPlugin(path, stars, tenant);
  assertTrue(composer instanceof Composer);
  assertEquals(calls, ["balance 1", "deduct 1 3", "offer 1 1 pack", "history 1 2"]);
});

Deno.test("a plugin's handlers run on the composer it was given", async () => {
  const { payments } = recordingPayments();
  const path = await pluginFile(`
    export default (bot) => { bot.use((ctx) => { ctx.seen = "plugin"; }); };
  `);
  const composer = await installPlugin(path, starsServiceOf(payments), tenant);
  const ctx = {} as Context & { seen?: string };
  await composer.middleware()(ctx, () => Promise.resolve());
  assertEquals(ctx.seen, "plugin");
});

Deno.test("a plugin that cannot load, exports no function or throws parks the tenant", async () => {
  const { payments } = recordingPayments();
  const stars = starsServiceOf(payments);
  await assertRejects(
    () => installPlugin("/nonexistent/plugin.ts", stars, tenant),
    FatalError,
    "plugin /nonexistent/plugin.ts could not be loaded",
  );
  const noFunction = await pluginFile(`export default 42;`);
  await assertRejects(
    () => installPlugin(noFunction, stars, tenant),
    FatalError,
    "must export a function as default",
  );
  const throws = await pluginFile(`export default () => { throw new Error("no API key"); };`);
  await assertRejects(
    () => installPlugin(throws, stars, tenant),
    FatalError,
    "failed while installing: no API key",
  );
});
