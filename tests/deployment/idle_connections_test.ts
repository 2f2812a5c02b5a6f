/**
 * 2,000 idle and half-sent connections to the HTTP port of a running `main.ts`, under the open-
 * files limit a default Linux box has (1024). Before, the HTTP server accepted them all until
 * Deno failed with "Too many open files", uncaught: the process exited and every bot with it.
 * Now the server holds at most half the limit, refuses the rest at once, and cuts those that
 * send nothing within the headers' deadline: the process and its bots stay up throughout.
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes, assertTrue } from "../support/assert.ts";
import { Deployment } from "../support/deployment.ts";
import { IdleConnections } from "../support/idle_connections.ts";
import { waitUntil } from "../support/wait.ts";

const CONNECTIONS = 2_000;
const OPEN_FILES = 1024;
/** The headers' deadline (10 s) and then some: by then the idle connections are cut. */
const RECOVERY_MS = 20_000;

Deno.test("2,000 idle connections leave the process and its bots up", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  await using deployment = await Deployment.create();
  await deployment.writeTenant("shop", { token: "env:SHOP_TOKEN", apiRoot: sandbox.apiRoot });
  const proc = await deployment.start({ SHOP_TOKEN: shop.token }, { openFilesLimit: OPEN_FILES });
  await proc.waitForLog(/shop.*updates by polling/);
  assertStringIncludes(proc.log, "at most 512 connections");

  await using flood = await IdleConnections.open(deployment.port, CONNECTIONS);
  assertEquals(flood.opened, CONNECTIONS);
  await proc.waitForLog(/Refusing HTTP connections: 512 are open/);

  // The bot answers while the connections are held: the process has files left for Telegram.
  const reply = ann.waitForMessage(shop, undefined, { timeoutMs: RECOVERY_MS });
  await ann.send(shop, "/start");
  assertStringIncludes((await reply).text ?? "", "Hello, Ann!");
  // Operators get in again once the idle connections are cut.
  await waitUntil("/healthz answering while the flood holds on", async () => {
    try {
      // A connection of its own: one kept alive from before the flood would skip the cap.
      using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      const response = await fetch(`${deployment.baseUrl}/healthz`, {
        client,
        signal: AbortSignal.timeout(1_000),
      });
      return (await response.text()) === "ok";
    } catch {
      return false; // refused at the cap, or not yet answered
    }
  }, RECOVERY_MS);
  assertTrue(!proc.log.includes("Too many open files"), proc.log);

  await flood[Symbol.asyncDispose]();
  assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);
});
