/**
 * Crash recovery, end to end: `main.ts` as a subprocess on a SQLite file, or on PostgreSQL
 * (each test runs on both engines), killed with SIGKILL at the worst moments of a purchase,
 * then started again on the same database. However it died, the user ends up credited once,
 * with one payment recorded and one receipt received.
 *
 * The test reads the database through a read-only connection, never writing to it.
 */
import { Sandbox, type SandboxBot } from "../sandbox/mod.ts";
import { assertEquals, assertTrue } from "./support/assert.ts";
import { PROCESS_WAIT_MS } from "./support/deployment.ts";
import {
  assertPaidOnce,
  awaitReceiptSentThenStop,
  type DatabaseView,
  HOLD_PLUGIN,
  HOLD_PLUGIN_PATH,
  holdUpdates,
  isReceipt,
  payFor,
  pendingUpdates,
  receipts,
  requestInvoice,
} from "./support/interrupted_purchase.ts";
import { RuntimeProcess } from "./support/runtime_process.ts";
import { SHOP_PRODUCTS } from "./support/shop_products.ts";
import { ledgerRows, outboxRows, paymentRows } from "./support/tenant_world.ts";
import { eachEngine, type TestEngine } from "./support/engines.ts";
import { waitUntil } from "./support/wait.ts";

/** A config folder and a database for `main.ts`, and a way to look into the database. */
interface Deployment extends DatabaseView {
  dir: string;
  /** Starts `main.ts` and waits until the shop tenant polls. */
  start(env?: Record<string, string>): Promise<RuntimeProcess>;
  /** Removes the folder and the database. */
  remove(): Promise<void>;
}

async function deploy(
  engine: TestEngine,
  sandbox: Sandbox,
  account: SandboxBot,
  plugin?: string,
): Promise<Deployment> {
  const dir = await Deno.makeTempDir({ prefix: "constellation-crash-" });
  await Deno.mkdir(`${dir}/tenants`);
  const file: Record<string, unknown> = {
    token: "env:SHOP_TOKEN",
    apiRoot: sandbox.apiRoot,
    locale: "en",
    products: SHOP_PRODUCTS,
  };
  if (plugin !== undefined) {
    await Deno.mkdir(`${dir}/plugins`);
    await Deno.writeTextFile(`${dir}/${HOLD_PLUGIN_PATH}`, plugin);
    file.plugin = HOLD_PLUGIN_PATH;
  }
  await Deno.writeTextFile(`${dir}/tenants/shop.json`, JSON.stringify(file, null, 2));
  const database = await engine.url(dir);
  return {
    dir,
    async start(env = {}) {
      const proc = RuntimeProcess.start({
        CONFIG_DIR: dir,
        DATABASE_URL: database.url,
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
    query: (read) => database.query(read),
    async remove() {
      await database.dispose();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

eachEngine.test("kill -9 while the receipt waits in the outbox: after the restart it is sent once", async ({ engine }) => {
  await using sandbox = await Sandbox.start();
  const account = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  const shop = await deploy(engine, sandbox, account);
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

    await awaitReceiptSentThenStop(await shop.start(), shop, ann, account);
    await assertPaidOnce(shop, ann, account, chargeId);
  } finally {
    await shop.remove();
  }
});

eachEngine.test("kill -9 between recording a payment and applying it: the restart applies it once, in order", async ({ engine }) => {
  await using sandbox = await Sandbox.start();
  const account = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  const shop = await deploy(engine, sandbox, account, HOLD_PLUGIN);
  try {
    await holdUpdates(shop.dir, true);
    const first = await shop.start();
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

    await holdUpdates(shop.dir, false);
    await awaitReceiptSentThenStop(await shop.start(), shop, ann, account);
    await assertPaidOnce(shop, ann, account, chargeId);
    const texts = ann.messages(account).map((m) => m.text ?? (m.invoice ? "[invoice]" : "[other]"));
    assertEquals(texts.slice(0, 2), ["[invoice]", "Held task done."]);
    assertTrue(texts.length === 3 && isReceipt(ann.messages(account)[2]), texts.join(" | "));
  } finally {
    await shop.remove();
  }
});
