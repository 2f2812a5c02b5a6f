/**
 * Crash recovery, end to end: `main.ts` as a subprocess on a SQLite file, killed with SIGKILL
 * at the worst moments of a purchase, then started again on the same file. However it died, the
 * user ends up credited once, with one payment recorded and one receipt received.
 *
 * The test reads the database through a read-only connection, never writing to it.
 */
import type { Message } from "grammy/types";
import type { SqlRunner } from "../adapters/storage/database.ts";
import { Sandbox, type SandboxBot, type SandboxUser } from "../sandbox/mod.ts";
import { assertEquals, assertTrue } from "./support/assert.ts";
import { RuntimeProcess } from "./support/runtime_process.ts";
import { SHOP_PRODUCTS } from "./support/shop_products.ts";
import { ledgerRows, outboxRows, paymentRows, readOnlySqlite } from "./support/tenant_world.ts";
import { waitUntil } from "./support/wait.ts";

/** Generous for a subprocess on a busy machine; the waits end as soon as the condition holds. */
const PROCESS_WAIT_MS = 15_000;

/** A config folder and a database file for `main.ts`, and a way to look into the file. */
interface Deployment {
  dir: string;
  /** Starts `main.ts` and waits until the shop tenant polls. */
  start(env?: Record<string, string>): Promise<RuntimeProcess>;
  /** Runs `read` on a fresh read-only connection to the database file. */
  query<T>(read: (q: SqlRunner) => Promise<T>): Promise<T>;
}

async function deploy(sandbox: Sandbox, account: SandboxBot, plugin?: string): Promise<Deployment> {
  const dir = await Deno.makeTempDir({ prefix: "constellation-crash-" });
  await Deno.mkdir(`${dir}/tenants`);
  const file: Record<string, unknown> = {
    token: "env:SHOP_TOKEN",
    apiRoot: sandbox.apiRoot,
    locale: "en",
    products: SHOP_PRODUCTS,
  };
  if (plugin !== undefined) {
    await Deno.writeTextFile(`${dir}/hold.ts`, plugin);
    file.plugin = "hold.ts";
  }
  await Deno.writeTextFile(`${dir}/tenants/shop.json`, JSON.stringify(file, null, 2));
  const dbPath = `${dir}/data/constellation.db`;
  return {
    dir,
    async start(env = {}) {
      const proc = RuntimeProcess.start({
        CONFIG_DIR: dir,
        DATABASE_URL: `sqlite:${dbPath}`,
        SHOP_TOKEN: account.token,
        ...env,
      });
      try {
        await proc.waitForLog(/shop.*polling/i, PROCESS_WAIT_MS);
      } catch (error) {
        await proc.stop("SIGKILL");
        throw error;
      }
      return proc;
    },
    async query(read) {
      const view = readOnlySqlite(dbPath);
      try {
        return await read(view);
      } finally {
        view.close();
      }
    },
  };
}

const isReceipt = (m: Message) => m.text?.startsWith("✅") ?? false;

function receipts(user: SandboxUser, account: SandboxBot): Message[] {
  return user.messages(account).filter(isReceipt);
}

async function requestInvoice(user: SandboxUser, account: SandboxBot): Promise<Message> {
  await user.send(account, "/start buy_credits_100");
  return await user.waitForMessage(account, (m) => m.invoice !== undefined, {
    timeoutMs: PROCESS_WAIT_MS,
  });
}

async function payFor(user: SandboxUser, account: SandboxBot, invoice: Message) {
  const outcome = await user.pay(account, invoice);
  if (outcome.status !== "paid") throw new Error(`expected a payment, got ${outcome.status}`);
  return outcome;
}

/** Asserts the end state every crash must come to: one credit, one payment, one receipt. */
async function assertPaidOnce(
  shop: Deployment,
  user: SandboxUser,
  account: SandboxBot,
  chargeId: string,
): Promise<void> {
  await shop.query(async (q) => {
    assertEquals(await ledgerRows(q, "shop"), [
      {
        userId: user.id,
        kind: "deposit",
        amount: 100,
        balanceAfter: 100,
        idempotencyKey: `payment:${chargeId}`,
      },
    ]);
    assertEquals((await paymentRows(q, "shop")).map((row) => [row.chargeId, row.kind]), [
      [chargeId, "credits"],
    ]);
    assertEquals((await outboxRows(q, "shop")).map((row) => [row.id, row.sent]), [
      [`receipt:${chargeId}`, true],
    ]);
    const pending = await q.all("SELECT update_id FROM inbox WHERE done_at IS NULL");
    assertEquals(pending, [], "every update recorded was handled");
  });
  assertEquals(receipts(user, account).map((m) => m.text), [
    "✅ Payment received: 50 ⭐ for “100 credits”. 100 credits added; your balance is 100." +
    `\nReceipt: ${chargeId}`,
  ]);
  const accepted = account.callsTo("sendMessage").filter((call) =>
    call.ok && String(call.params.text).startsWith("✅")
  );
  assertEquals(accepted.length, 1, "Telegram accepted the receipt once");
  assertEquals(user.stars, 50);
}

/**
 * Starts `main.ts` again on the same file, waits until the user has the receipt and its outbox
 * row is marked sent, and asserts that the process then stops cleanly on SIGTERM.
 */
async function restartUntilReceiptSent(
  shop: Deployment,
  user: SandboxUser,
  account: SandboxBot,
): Promise<void> {
  const second = await shop.start();
  try {
    await user.waitForMessage(account, isReceipt, { timeoutMs: PROCESS_WAIT_MS });
    await waitUntil(
      "the receipt marked sent",
      () => shop.query(async (q) => (await outboxRows(q, "shop"))[0]?.sent),
      PROCESS_WAIT_MS,
    );
    assertEquals((await second.stop("SIGTERM")).code, 0, second.log);
  } finally {
    await second.stop("SIGKILL");
  }
}

Deno.test("kill -9 while the receipt waits in the outbox: after the restart it is sent once", async () => {
  await using sandbox = await Sandbox.start();
  const account = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  const shop = await deploy(sandbox, account);
  try {
    const first = await shop.start();
    let chargeId: string;
    try {
      const invoice = await requestInvoice(ann, account);
      // Telegram chokes on the receipt. Two failures: the first process is killed after one,
      // and whichever is left over meets the restarted process, which must retry it.
      sandbox.failNext(account.token, "sendMessage", {
        error_code: 500,
        description: "Internal Server Error",
      }, 2);
      chargeId = (await payFor(ann, account, invoice)).chargeId;
      await waitUntil(
        "the payment committed and its receipt refused once",
        () =>
          shop.query(async (q) => {
            const [receipt] = await outboxRows(q, "shop");
            return receipt !== undefined && receipt.attempts >= 1 && !receipt.sent;
          }),
        PROCESS_WAIT_MS,
      );
    } finally {
      await first.stop("SIGKILL");
    }
    assertEquals(receipts(ann, account), [], "no receipt got through before the kill");

    await restartUntilReceiptSent(shop, ann, account);
    await assertPaidOnce(shop, ann, account, chargeId);
  } finally {
    await Deno.remove(shop.dir, { recursive: true });
  }
});

/**
 * A plugin whose `/hold` never finishes while HOLD_UPDATES is "1", and replies at once
 * otherwise. Payments of the same user queue behind it on the user's lane.
 */
const HOLD_PLUGIN = `
type Ctx = { reply(text: string): Promise<unknown> };
type Composer = { command(name: string, handler: (ctx: Ctx) => Promise<void>): void };

export default (bot: Composer) => {
  bot.command("hold", async (ctx) => {
    if (Deno.env.get("HOLD_UPDATES") === "1") await new Promise(() => {});
    await ctx.reply("Held task done.");
  });
};
`;

/** What each unfinished update in the inbox is: a message's text or `successful_payment`. */
async function pendingUpdates(q: SqlRunner): Promise<string[]> {
  const rows = await q.all<{ payload: string }>(
    "SELECT payload FROM inbox WHERE done_at IS NULL ORDER BY update_id",
  );
  return rows.map((row) => {
    const message = JSON.parse(row.payload).message;
    return message?.successful_payment ? "successful_payment" : message?.text ?? "other";
  });
}

Deno.test("kill -9 between recording a payment and applying it: the restart applies it once, in order", async () => {
  await using sandbox = await Sandbox.start();
  const account = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  const shop = await deploy(sandbox, account, HOLD_PLUGIN);
  try {
    const first = await shop.start({ HOLD_UPDATES: "1" });
    let chargeId: string;
    try {
      const invoice = await requestInvoice(ann, account);
      await ann.send(account, "/hold");
      chargeId = (await payFor(ann, account, invoice)).chargeId;
      await waitUntil(
        "the payment recorded behind /hold",
        () =>
          shop.query(async (q) =>
            JSON.stringify(await pendingUpdates(q)) ===
              JSON.stringify(["/hold", "successful_payment"])
          ),
        PROCESS_WAIT_MS,
      );
    } finally {
      await first.stop("SIGKILL");
    }
    await shop.query(async (q) => {
      assertEquals(await paymentRows(q, "shop"), [], "recorded, not applied, when killed");
      assertEquals(await ledgerRows(q, "shop"), []);
    });

    await restartUntilReceiptSent(shop, ann, account);
    await assertPaidOnce(shop, ann, account, chargeId);
    const texts = ann.messages(account).map((m) => m.text ?? (m.invoice ? "[invoice]" : "[other]"));
    assertEquals(texts.slice(0, 2), ["[invoice]", "Held task done."]);
    assertTrue(texts.length === 3 && isReceipt(ann.messages(account)[2]), texts.join(" | "));
  } finally {
    await Deno.remove(shop.dir, { recursive: true });
  }
});
