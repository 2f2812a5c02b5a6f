/**
 * Tenants using the same plugin file share one worker, each with a plugin instance of its own:
 * its own handlers, `ctx.me` and Bot API client, so its calls reach its own bot only. What ends
 * the worker fails every tenant in it, and all of them recover; what fails one tenant's
 * instance fails that tenant only. A tenant with `"own"` keeps a worker of its own.
 */
import type { Context } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { getLogger, type LogRecord, reset } from "@logtape/logtape";
import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { captureLogs, renderedLogs } from "../../support/log_capture.ts";
import { waitUntil } from "../../support/wait.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import {
  PluginHost,
  type PluginHostOptions,
  type PluginWorkerMode,
} from "../../../adapters/plugins/plugin_host.ts";
import { PluginWorkers } from "../../../adapters/plugins/plugin_workers.ts";
import { PluginFailure } from "../../../adapters/plugins/worker_session.ts";
import type { StarsService } from "../../../adapters/plugins/plugin_api.ts";
import { BOT_INFO, type RecordedCall, textUpdate } from "./plugin_fixture.ts";

/**
 * Counts the instances installed in its worker (module state, shared), and each tenant's own
 * `/who` calls (closure state, its own); `/slow` answers after 200 ms, `/crash` throws in a
 * timer, `/hang` never answers, `/forge <tenant>` posts a Bot API call naming a tenant by hand.
 */
const PLUGIN = `
let installs = 0;
export default (bot, _stars, tenant) => {
  if (tenant.id === "broken") throw new Error("no key for " + tenant.id);
  installs++;
  let calls = 0;
  bot.command("who", async (ctx) => {
    calls++;
    await ctx.reply([tenant.id, ctx.me.username, calls, installs].join(" "));
  });
  bot.command("slow", async (ctx) => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    await ctx.reply("slow " + tenant.id);
  });
  bot.command("crash", () => { setTimeout(() => { throw new Error("boom"); }, 20); });
  bot.command("hang", () => new Promise(() => {}));
  bot.command("forge", () => {
    globalThis.postMessage([{
      kind: "api",
      id: 1_000_000,
      tenantId: ctx_tenant(),
      method: "sendMessage",
      payload: { chat_id: 1, text: "forged" },
    }]);
  });
  function ctx_tenant() { return globalThis.forgeFor; }
  bot.command("target", (ctx) => { globalThis.forgeFor = ctx.match; });
};
`;

/** A tenant of the test: its host, and the Bot API calls that reached its bot. */
interface TestTenant {
  host: PluginHost;
  calls: RecordedCall[];
  /** The texts its bot sent, in order. */
  texts(): unknown[];
  run(update: Update): Promise<boolean>;
}

/** Several tenants on one plugin file, with a registry of their own; see `tenant`. */
class Tenants implements AsyncDisposable {
  readonly workers = new PluginWorkers();
  readonly all: TestTenant[] = [];
  /** Workers started since the test began (every `new Worker`). */
  started = 0;
  readonly #realWorker = globalThis.Worker;

  private constructor(
    readonly configDir: string,
    readonly path: string,
    readonly records: LogRecord[],
  ) {
    const real = this.#realWorker;
    const count = () => this.started++;
    globalThis.Worker = class extends real {
      constructor(...args: ConstructorParameters<typeof Worker>) {
        super(...args);
        count();
      }
    };
  }

  static async create(source = PLUGIN): Promise<Tenants> {
    const configDir = await Deno.realPath(
      await Deno.makeTempDir({ prefix: "constellation-plugins-" }),
    );
    await Deno.mkdir(`${configDir}/plugins`);
    const path = `${configDir}/plugins/shared.ts`;
    await Deno.writeTextFile(path, source);
    return new Tenants(configDir, path, await captureLogs(["test-plugins"]));
  }

  /** Starts tenant `id`, whose bot is `@<id>_bot`. */
  async tenant(
    id: string,
    options: Partial<PluginHostOptions> & { worker?: PluginWorkerMode } = {},
  ): Promise<TestTenant> {
    const calls: RecordedCall[] = [];
    const host = new PluginHost({
      path: this.path,
      tenantId: id,
      stars: {} as StarsService,
      callApi: (method, payload) => {
        calls.push({ method, payload });
        return Promise.resolve({ message_id: 1 });
      },
      logger: getLogger(["test-plugins", id]),
      workers: this.workers,
      random: () => 0,
      ...options,
    });
    const me: UserFromGetMe = {
      ...BOT_INFO,
      id: BOT_INFO.id + this.all.length,
      username: `${id}_bot`,
    };
    await host.start(me);
    const tenant: TestTenant = {
      host,
      calls,
      texts: () => calls.filter((c) => c.method === "sendMessage").map((c) => c.payload.text),
      run: async (update) => {
        let passedOn = false;
        await host.middleware()({ update } as Context, () => {
          passedOn = true;
          return Promise.resolve();
        });
        return passedOn;
      },
    };
    this.all.push(tenant);
    return tenant;
  }

  /** What was logged for tenant `id`, as `level: message`. */
  logsOf(id: string): string[] {
    return renderedLogs(this.records.filter((record) => record.category[1] === id));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const tenant of this.all) tenant.host.stop();
    globalThis.Worker = this.#realWorker;
    await reset();
    await Deno.remove(this.configDir, { recursive: true });
  }
}

/** Runs `/ping`-like `text` for `tenant` until its plugin answers (it may be restarting). */
async function untilAnswered(tenant: TestTenant, text: string): Promise<void> {
  await waitUntil(`${text} answered`, async () => {
    try {
      await tenant.run(textUpdate(text));
      return true;
    } catch (error) {
      if (error instanceof PluginFailure) return false;
      throw error;
    }
  });
}

Deno.test("tenants using one plugin file share one worker, each with an instance of its own", async () => {
  await using tenants = await Tenants.create();
  const a = await tenants.tenant("a");
  const b = await tenants.tenant("b");
  const c = await tenants.tenant("c");
  const own = await tenants.tenant("own", { worker: "own" });
  assertEquals(tenants.started, 0, "no worker before the first update");
  for (const tenant of [a, b, c, own]) await tenant.run(textUpdate("/who"));
  await a.run(textUpdate("/who"));
  // One worker for a, b and c, and one of its own for "own".
  assertEquals(tenants.started, 2);
  assertEquals(tenants.workers.running, 1);
  assertEquals(tenants.workers.files, 1);
  // Each tenant's handler ran with its own tenant, ctx.me and closure (its own count of calls);
  // the module-level count of installs is the worker's, shared by a, b and c.
  assertEquals(a.texts(), ["a a_bot 1 1", "a a_bot 2 3"]);
  assertEquals(b.texts(), ["b b_bot 1 2"]);
  assertEquals(c.texts(), ["c c_bot 1 3"]);
  assertEquals(own.texts(), ["own own_bot 1 1"], "its worker is its own: one install there");
});

Deno.test("a tenant's Bot API calls reach its own bot and no other's", async () => {
  await using tenants = await Tenants.create();
  const a = await tenants.tenant("a");
  const b = await tenants.tenant("b");
  // Interleaved in one worker: a's and b's updates cross in the same batches.
  await Promise.all([
    a.run(textUpdate("/slow", 1)),
    b.run(textUpdate("/slow", 2)),
    a.run(textUpdate("/who", 1)),
    b.run(textUpdate("/who", 2)),
  ]);
  assertEquals(tenants.started, 1);
  assertEquals(a.texts().toSorted(), ["a a_bot 1 2", "slow a"]);
  assertEquals(b.texts().toSorted(), ["b b_bot 1 2", "slow b"]);
  assertTrue(a.calls.every((call) => call.payload.chat_id === 1), JSON.stringify(a.calls));
  assertTrue(b.calls.every((call) => call.payload.chat_id === 2), JSON.stringify(b.calls));
  // The control: a call posted by hand naming a reaches a's bot (the tenant a message names is
  // whose bot makes it; see the limits in `plugin_workers.ts`)…
  await a.run(textUpdate("/target a"));
  await a.run(textUpdate("/forge"));
  await waitUntil("the forged call made", () => a.texts().includes("forged"));
  a.calls.length = 0;
  // …and one naming a tenant that is not in this worker reaches no bot: b has left, and
  // "ghost" never was here.
  b.host.stop();
  for (const target of ["b", "ghost"]) {
    await a.run(textUpdate(`/target ${target}`));
    await a.run(textUpdate("/forge"));
  }
  await a.run(textUpdate("/who", 1)); // after the forged calls were answered
  assertEquals(a.texts(), ["a a_bot 2 2"]);
  for (const tenant of [a, b]) {
    assertEquals(tenant.texts().filter((text) => text === "forged"), [], "refused");
  }
});

Deno.test("a crash of a shared worker fails every tenant's updates in it, and all recover", async () => {
  await using tenants = await Tenants.create();
  const options = { backoff: { minMs: 50, maxMs: 100 } };
  const a = await tenants.tenant("a", options);
  const b = await tenants.tenant("b", options);
  await a.run(textUpdate("/who"));
  await b.run(textUpdate("/who"));
  const hanging = b.run(textUpdate("/hang"));
  await a.run(textUpdate("/crash"));
  await assertRejects(() => hanging, PluginFailure, "threw: boom");
  for (const id of ["a", "b"]) {
    await waitUntil(
      `${id} told`,
      () =>
        tenants.logsOf(id).some((line) =>
          line.startsWith("error: The plugin's worker was stopped (threw: boom")
        ),
    );
  }
  await untilAnswered(a, "/who");
  await untilAnswered(b, "/who");
  assertEquals(tenants.started, 2, "restarted once, for both");
  // Both reinstalled in the new worker: its module state starts again.
  assertEquals(a.texts().at(-1), "a a_bot 1 1");
  assertEquals(b.texts().at(-1), "b b_bot 1 2");
  for (const id of ["a", "b"]) {
    assertTrue(tenants.logsOf(id).includes("info: The plugin's worker is running again."));
  }
});

Deno.test("a default export that throws for one tenant fails that tenant's instance only", async () => {
  await using tenants = await Tenants.create();
  const options = { backoff: { minMs: 60_000, maxMs: 60_000 } };
  // The broken tenant first: the worker it leaves empty ends without a delay for the others.
  const broken = await tenants.tenant("broken", options);
  await assertRejects(() => broken.run(textUpdate("/who")), PluginFailure, "no key for broken");
  const a = await tenants.tenant("a", options);
  await a.run(textUpdate("/who"));
  await assertRejects(() => broken.run(textUpdate("/who")), PluginFailure, "is restarting");
  const b = await tenants.tenant("b", options);
  await b.run(textUpdate("/who"));
  await a.run(textUpdate("/who"));
  assertEquals(a.texts(), ["a a_bot 1 1", "a a_bot 2 2"]);
  assertEquals(b.texts(), ["b b_bot 1 2"]);
  assertEquals(tenants.workers.running, 1);
  assertTrue(
    tenants.logsOf("broken").some((line) =>
      line.startsWith("error: The plugin failed to install (") && line.includes("no key")
    ),
    tenants.logsOf("broken").join("\n"),
  );
  for (const id of ["a", "b"]) {
    assertEquals(tenants.logsOf(id).filter((line) => line.startsWith("error")), []);
  }
});

Deno.test("a shared worker stops when idle for all its tenants or left by the last; a tenant leaving takes only its instance", async () => {
  await using tenants = await Tenants.create();
  const clock = new ManualClock(1_000_000);
  const options = { clock, idleStopAfterMs: 60_000 };
  const a = await tenants.tenant("a", options);
  const b = await tenants.tenant("b", options);
  await a.run(textUpdate("/who"));
  await clock.advance(40_000);
  await b.run(textUpdate("/who"));
  await clock.advance(40_000);
  assertEquals(tenants.workers.running, 1, "b used it 40 s ago");
  await clock.advance(20_000);
  assertEquals(tenants.workers.running, 0, "idle for every tenant for 60 s");
  await b.run(textUpdate("/who"));
  assertEquals(tenants.started, 2, "started again on demand");
  // a restarts (a reload of its config): b's update in flight goes on undisturbed.
  const slow = b.run(textUpdate("/slow"));
  a.host.stop();
  const reloaded = await tenants.tenant("a", options);
  await reloaded.run(textUpdate("/who"));
  await slow;
  assertEquals(b.texts().at(-1), "slow b");
  assertEquals(reloaded.texts(), ["a a_bot 1 2"], "joined the running worker");
  assertEquals(tenants.started, 2);
  b.host.stop();
  reloaded.host.stop();
  assertEquals(tenants.workers.running, 0, "stopped with its last tenant");
  assertEquals(tenants.workers.files, 0);
});
