import assert from "node:assert/strict";
import { join } from "node:path";
import { getLogger, reset } from "@logtape/logtape";
import { type Clock, ManualClock, systemClock } from "../../../actors/kernel/clock.ts";
import {
  type ConfigWatcherOptions,
  watchTenantConfig,
} from "../../../adapters/config/config_watcher.ts";
import { ConfigDirMissingError, loadTenants } from "../../../config/load_tenants.ts";
import { captureLogs } from "../../support/log_capture.ts";

// File events are real, so the debounce runs on real time; short, to keep each test well under
// a second. Waits end on events, with a deadline far above what they need.
const DEBOUNCE_MS = 50;
const DEADLINE_MS = 5_000;
/** Long enough for a missed event to have arrived and its debounce to have fired. */
const QUIET_MS = DEBOUNCE_MS * 4;

const LOG_CATEGORY = ["test-config-watcher"];
const logger = getLogger(LOG_CATEGORY);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds; fails after {@linkcode DEADLINE_MS}. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(5);
  }
}

/**
 * A test with Deno's op and resource sanitizers on (they are opt-in in this Deno): a watcher, a
 * timer or an event loop left behind after close fails the test.
 */
function watchTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, sanitizeOps: true, sanitizeResources: true, fn });
}

/** A deferred promise, to hold a reload open until the test lets it finish. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** An `onChange` that counts its calls and how many ran at once. */
class Reloads {
  started = 0;
  finished = 0;
  running = 0;
  maxRunning = 0;
  /** What call number `n` does; by default it finishes at once. */
  behavior: (n: number) => Promise<void> | void = () => {};

  readonly onChange = async (): Promise<void> => {
    const n = ++this.started;
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await this.behavior(n);
    } finally {
      this.running--;
      this.finished++;
    }
  };

  startedAtLeast(n: number): Promise<void> {
    return until(() => this.started >= n, `reload ${n} to start`);
  }

  finishedAtLeast(n: number): Promise<void> {
    return until(() => this.finished >= n, `reload ${n} to finish`);
  }
}

/** A temporary config folder (with `tenants/` unless told otherwise), removed on dispose. */
async function configFolder(withTenants = true) {
  const dir = await Deno.makeTempDir({ prefix: "constellation-watch-" });
  if (withTenants) await Deno.mkdir(join(dir, "tenants"));
  return {
    dir,
    tenant: (name: string) => join(dir, "tenants", name),
    write: (name: string, text = `{ "token": "env:TOKEN" }`) =>
      Deno.writeTextFile(join(dir, "tenants", name), text),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Starts a watcher on `configDir`; disposing it aborts and waits until it has closed. */
function startWatcher(options: Omit<ConfigWatcherOptions, "signal" | "logger">) {
  const controller = new AbortController();
  const watcher = watchTenantConfig({
    debounceMs: DEBOUNCE_MS,
    logger,
    onSignal: () => () => {},
    ...options,
    signal: controller.signal,
  });
  return {
    ...watcher,
    close: async () => {
      controller.abort();
      await watcher.closed;
    },
    [Symbol.asyncDispose]: async () => {
      controller.abort();
      await watcher.closed;
    },
  };
}

/** A system clock that counts the debounce timers that fired. */
function countingClock(): Clock & { fired: number } {
  const clock = {
    ...systemClock,
    fired: 0,
    setTimeout: (fn: () => void, ms: number) =>
      systemClock.setTimeout(() => {
        clock.fired++;
        fn();
      }, ms),
  };
  return clock;
}

watchTest("three files written at once cause one reload, after the debounce", async () => {
  await using folder = await configFolder();
  const reloads = new Reloads();
  await using _watcher = startWatcher({ configDir: folder.dir, onChange: reloads.onChange });
  await folder.write("shop.json");
  await folder.write("quiz.json");
  await folder.write("news.json");
  await reloads.finishedAtLeast(1);
  await delay(QUIET_MS);
  assert.equal(reloads.started, 1);
});

watchTest(
  "an editor's save through a renamed temporary file is one reload; swap files are not",
  async () => {
    await using folder = await configFolder();
    const reloads = new Reloads();
    await using _watcher = startWatcher({ configDir: folder.dir, onChange: reloads.onChange });
    await folder.write(".shop.json.swp", "swap");
    await folder.write("shop.json~", "backup");
    await delay(QUIET_MS);
    assert.equal(reloads.started, 0, "swap and backup files must not cause a reload");

    await folder.write("shop.json.tmp");
    await Deno.rename(folder.tenant("shop.json.tmp"), folder.tenant("shop.json"));
    await reloads.finishedAtLeast(1);
    await delay(QUIET_MS);
    assert.equal(reloads.started, 1);
  },
);

watchTest(
  "a change during a slow reload causes exactly one follow-up, never an overlap",
  async () => {
    await using folder = await configFolder();
    const reloads = new Reloads();
    const slow = gate();
    reloads.behavior = (n) => (n === 1 ? slow.promise : undefined);
    const clock = countingClock();
    await using _watcher = startWatcher({
      configDir: folder.dir,
      onChange: reloads.onChange,
      clock,
    });

    await folder.write("shop.json");
    await reloads.startedAtLeast(1);
    await folder.write("quiz.json");
    await until(() => clock.fired === 2, "the second burst's debounce");
    await folder.write("news.json");
    await until(() => clock.fired === 3, "the third burst's debounce");
    assert.equal(reloads.started, 1, "no reload may start while one is running");

    slow.open();
    await reloads.finishedAtLeast(2);
    await delay(QUIET_MS);
    assert.equal(reloads.started, 2);
    assert.equal(reloads.maxRunning, 1);
  },
);

watchTest("reloadNow during a reload joins a single follow-up and resolves after it", async () => {
  await using folder = await configFolder();
  const reloads = new Reloads();
  const first = gate();
  const second = gate();
  reloads.behavior = (n) => (n === 1 ? first.promise : second.promise);
  await using watcher = startWatcher({ configDir: folder.dir, onChange: reloads.onChange });

  const running = watcher.reloadNow();
  await reloads.startedAtLeast(1);
  let followUpsDone = false;
  const followUps = Promise.all([watcher.reloadNow(), watcher.reloadNow(), watcher.reloadNow()])
    .then(() => (followUpsDone = true));
  first.open();
  await running;
  await reloads.startedAtLeast(2);
  assert.equal(followUpsDone, false, "the follow-up has not finished yet");

  second.open();
  await followUps;
  assert.equal(reloads.started, 2);
  assert.equal(reloads.maxRunning, 1);
});

watchTest("SIGHUP reloads through the signal hook, which is removed on close", async () => {
  await using folder = await configFolder();
  const reloads = new Reloads();
  const handlers: (() => void)[] = [];
  let removed = 0;
  const watcher = startWatcher({
    configDir: folder.dir,
    onChange: reloads.onChange,
    onSignal: (handler) => {
      handlers.push(handler);
      return () => removed++;
    },
  });
  assert.equal(handlers.length, 1);
  handlers[0]();
  await reloads.finishedAtLeast(1);
  handlers[0]();
  await reloads.finishedAtLeast(2);

  await watcher.close();
  assert.equal(removed, 1);
  await watcher.reloadNow();
  assert.equal(reloads.started, 2, "a closed watcher does not reload");
});

watchTest("a reload that throws is logged and watching goes on", async () => {
  // Errors only: the test counts records, and the watcher's debug lines would count too.
  const records = await captureLogs(LOG_CATEGORY, { lowestLevel: "error" });
  try {
    await using folder = await configFolder();
    const reloads = new Reloads();
    reloads.behavior = (n) => {
      if (n === 1) throw new Error("the database is locked");
    };
    await using _watcher = startWatcher({ configDir: folder.dir, onChange: reloads.onChange });
    await folder.write("shop.json");
    await reloads.finishedAtLeast(1);
    await until(() => records.length === 1, "the error to be logged");
    assert.match(String(records[0].properties.error), /the database is locked/);

    await folder.write("quiz.json");
    await reloads.finishedAtLeast(2);
  } finally {
    await reset();
  }
});

watchTest("closing cancels a pending debounce, stops watching, and ends", async () => {
  await using folder = await configFolder();
  const reloads = new Reloads();
  const clock = new ManualClock();
  const watcher = startWatcher({ configDir: folder.dir, onChange: reloads.onChange, clock });
  await folder.write("shop.json");
  await until(() => clock.pendingTimers === 1, "the debounce to be scheduled");

  await watcher.close();
  assert.equal(clock.pendingTimers, 0);
  await folder.write("quiz.json");
  await delay(QUIET_MS);
  await clock.advance(DEBOUNCE_MS * 10);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(reloads.started, 0);
});

watchTest("without tenants/, the config folder is watched until the folder appears", async () => {
  await using folder = await configFolder(false);
  const reloads = new Reloads();
  await using _watcher = startWatcher({ configDir: folder.dir, onChange: reloads.onChange });
  await Deno.writeTextFile(join(folder.dir, "notes.json"), "{}");
  await Deno.mkdir(join(folder.dir, "plugins"));
  await Deno.writeTextFile(join(folder.dir, "plugins", "shop.ts"), "export {};");
  await delay(QUIET_MS);
  assert.equal(reloads.started, 0, "changes outside tenants/ must not cause a reload");

  await Deno.mkdir(join(folder.dir, "tenants"));
  await folder.write("shop.json");
  await reloads.finishedAtLeast(1);
  // The watch has moved to tenants/ and still sees its files.
  await folder.write("quiz.json");
  await reloads.finishedAtLeast(2);
});

watchTest("tenants/ deleted and created again is still watched", async () => {
  await using folder = await configFolder();
  const reloads = new Reloads();
  await using _watcher = startWatcher({ configDir: folder.dir, onChange: reloads.onChange });
  await folder.write("shop.json");
  await reloads.finishedAtLeast(1);

  await Deno.remove(join(folder.dir, "tenants"), { recursive: true });
  await reloads.finishedAtLeast(2);
  await Deno.mkdir(join(folder.dir, "tenants"));
  await reloads.finishedAtLeast(3);
  await folder.write("quiz.json");
  await reloads.finishedAtLeast(4);
});

watchTest(
  "a missing config folder or a negative debounce is refused with a clear error",
  async () => {
    await using folder = await configFolder();
    const missing = join(folder.dir, "nowhere");
    const signal = new AbortController().signal;
    const onChange = () => Promise.resolve();
    assert.throws(
      () => watchTenantConfig({ configDir: missing, onChange, signal, logger }),
      (error) => error instanceof ConfigDirMissingError && error.message.includes("does not exist"),
    );
    assert.throws(
      () => watchTenantConfig({ configDir: folder.dir, onChange, signal, debounceMs: -1, logger }),
      /debounceMs must be a number of milliseconds ≥ 0, got -1/,
    );
  },
);

watchTest("by default a real SIGHUP reloads", async () => {
  await using folder = await configFolder();
  const reloads = new Reloads();
  const controller = new AbortController();
  const watcher = watchTenantConfig({
    configDir: folder.dir,
    onChange: reloads.onChange,
    debounceMs: DEBOUNCE_MS,
    logger,
    signal: controller.signal,
  });
  try {
    Deno.kill(Deno.pid, "SIGHUP");
    await reloads.finishedAtLeast(1);
  } finally {
    controller.abort();
    await watcher.closed;
  }
});

watchTest("a FIFO named *.json never blocks a reload, nor the ones after it", async () => {
  await using folder = await configFolder();
  // A FIFO, and a link to it: opening either for reading would wait for a writer forever.
  const made = await new Deno.Command("mkfifo", { args: [folder.tenant("pipe.json")] }).output();
  assert.ok(made.success, "mkfifo failed");
  await Deno.symlink(folder.tenant("pipe.json"), folder.tenant("linked.json"));
  const loaded: string[][] = [];
  const skipped: string[][] = [];
  await using watcher = startWatcher({
    configDir: folder.dir,
    onChange: async () => {
      const { tenants, problems } = await loadTenants(folder.dir, () => "123:abc");
      loaded.push(tenants.map((tenant) => tenant.id));
      skipped.push(problems.map((problem) => problem.message));
    },
  });

  await folder.write("shop.json");
  await until(() => loaded.length >= 1, "the reload after shop.json");
  await folder.write("quiz.json");
  await watcher.reloadNow();
  assert.deepEqual(loaded.at(-1), ["quiz", "shop"]);
  assert.deepEqual(skipped.at(-1), [
    "skipped: not a regular file but a FIFO (named pipe); only regular files are read as " +
    "tenant files",
    "skipped: not a regular file but a FIFO (named pipe); only regular files are read as " +
    "tenant files",
  ]);
});
