import assert from "node:assert/strict";
import { Api, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import { ManualClock } from "../../actors/kernel/clock.ts";
import { Sandbox } from "../../sandbox/mod.ts";

/** A loopback webhook receiver whose answers the test scripts, one per request. */
function receiver(answers: Array<() => Response>) {
  const received: Array<{ update: Update; secret: string | null }> = [];
  const arrivals: Array<() => void> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    received.push({
      update: await req.json(),
      secret: req.headers.get("X-Telegram-Bot-Api-Secret-Token"),
    });
    arrivals.splice(0).forEach((wake) => wake());
    return (answers.shift() ?? (() => new Response("ok")))();
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    received,
    /** Resolves once `count` requests have arrived. */
    async waitFor(count: number) {
      while (received.length < count) await new Promise<void>((wake) => arrivals.push(wake));
    },
    close: () => server.shutdown(),
  };
}

Deno.test("updates are POSTed in order with the secret header; failures are retried", async () => {
  await using sandbox = await Sandbox.start({ webhookRetryBaseMs: 5 });
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  const hook = receiver([() => new Response("boom", { status: 500 })]);
  try {
    const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
    await api.setWebhook(hook.url, { secret_token: "s3cret_Token-1" });
    await ann.send(bot, "first");
    await ann.send(bot, "second");
    await hook.waitFor(3);

    assert.deepEqual(
      hook.received.map((r) => r.update.message?.text),
      ["first", "first", "second"],
      "the failed update is retried before the next one",
    );
    assert.ok(hook.received.every((r) => r.secret === "s3cret_Token-1"));
    const info = await api.getWebhookInfo();
    assert.equal(info.url, hook.url);
    assert.equal(
      info.last_error_message,
      "Wrong response from the webhook: 500 Internal Server Error",
    );
    assert.equal(typeof info.last_error_date, "number");
  } finally {
    await hook.close();
  }
});

Deno.test("undelivered updates count as pending; deleteWebhook can drop them", async () => {
  await using sandbox = await Sandbox.start({ webhookRetryBaseMs: 60_000 });
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  const hook = receiver([() => new Response("down", { status: 503 })]);
  try {
    const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
    await api.setWebhook(hook.url);
    await ann.send(bot, "a");
    await ann.send(bot, "b");
    await hook.waitFor(1);
    assert.equal((await api.getWebhookInfo()).pending_update_count, 2);
    await api.deleteWebhook({ drop_pending_updates: true });
    const info = await api.getWebhookInfo();
    assert.equal(info.url, "");
    assert.equal(info.pending_update_count, 0);
  } finally {
    await hook.close();
  }
});

Deno.test("a webhook URL off this machine is refused", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  for (const url of ["https://example.com/hook", "http://10.0.0.5/hook", "http://127.0.0.2/x"]) {
    const error = await api.setWebhook(url).catch((e) => e);
    assert.ok(error instanceof GrammyError, url);
    assert.match(error.description, /^Bad Request: bad webhook: .*only to loopback hosts/);
  }
  const ip = await api.setWebhook("http://localhost:1/x", { ip_address: "8.8.8.8" }).catch((e) =>
    e
  );
  assert.match(ip.description, /ip_address must be a loopback address/);
  const secret = await api.setWebhook("http://localhost:1/x", { secret_token: "no spaces" }).catch((
    e,
  ) => e);
  assert.match(secret.description, /secret token must be 1-256 characters/);
  assert.equal((await api.getWebhookInfo()).url, "");
});

Deno.test("a JSON answer with a method is executed as a call, like Telegram's webhook replies", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  const hook = receiver([
    () => Response.json({ method: "sendMessage", chat_id: ann.id, text: "replied in the webhook" }),
  ]);
  try {
    await new Api(bot.token, { apiRoot: sandbox.apiRoot }).setWebhook(hook.url);
    await ann.send(bot, "hello");
    assert.equal((await ann.waitForMessage(bot)).text, "replied in the webhook");
  } finally {
    await hook.close();
  }
});

Deno.test("setting a webhook ends a waiting long poll with 409", async () => {
  const clock = new ManualClock(0);
  await using sandbox = await Sandbox.start({ clock });
  const bot = sandbox.createBot();
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  const hook = receiver([]);
  try {
    const polling = api.getUpdates({ timeout: 20 }).catch((e) => e);
    while (clock.pendingTimers === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    await api.setWebhook(hook.url);
    const error = await polling;
    assert.ok(error instanceof GrammyError);
    assert.equal(error.error_code, 409);
  } finally {
    await hook.close();
  }
});

Deno.test("a webhook nobody listens on records the network error and keeps the update", async () => {
  await using sandbox = await Sandbox.start({ webhookRetryBaseMs: 5 });
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close(); // the port is now free: connections are refused
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  await api.setWebhook(`http://127.0.0.1:${port}/hook`);
  await ann.send(bot, "lost?");
  while (bot.webhook.last_error_message === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const info = await api.getWebhookInfo();
  assert.equal(info.last_error_message, "Connection refused");
  assert.equal(info.pending_update_count, 1);
  await api.deleteWebhook();
});
