/**
 * A plugin host on a temporary config folder, with a Stars service and a Bot API that record
 * what the plugin asked of them, and the host's log, for the plugin tests. The plugin's source
 * is written to `plugins/<name>.ts`; it runs in its real worker, with its real permissions.
 *
 * @example
 * ```ts ignore
 * await using fixture = await PluginFixture.create(`export default (bot) => { … };`);
 * await fixture.host.start(BOT_INFO); // checks the file; the worker starts with the update
 * await fixture.run(textUpdate("/ask"));
 * fixture.apiCalls; // [{ method: "sendMessage", payload: { chat_id: 7, text: "…" } }]
 * ```
 * @module
 */
import type { Context } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { getLogger, type LogRecord, reset } from "@logtape/logtape";
import { captureLogs, renderedLogs } from "../../support/log_capture.ts";
import { PluginHost, type PluginHostOptions } from "../../../adapters/plugins/plugin_host.ts";
import type { StarsService } from "../../../adapters/plugins/plugin_api.ts";

/** The bot the plugins run in. */
export const BOT_INFO = {
  id: 4242,
  is_bot: true,
  first_name: "Oracle",
  username: "oracle_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;

/** The user every test update comes from. */
export const USER_ID = 7;

let updateId = 0;

/** A private message with `text` from `userId`, a command when it starts with `/`. */
export function textUpdate(text: string, userId = USER_ID): Update {
  const command = text.match(/^\/\w+/)?.[0];
  return {
    update_id: ++updateId,
    message: {
      message_id: updateId,
      date: 1_700_000_000,
      chat: { id: userId, type: "private", first_name: "Ann" },
      from: { id: userId, is_bot: false, first_name: "Ann", language_code: "en" },
      text,
      ...(command && { entities: [{ type: "bot_command", offset: 0, length: command.length }] }),
    },
  } as Update;
}

/** What a test may set of the host's options. */
export type FixtureOptions = Pick<
  PluginHostOptions,
  "limits" | "backoff" | "clock" | "idleStopAfterMs"
>;

/** One Bot API call the plugin made. */
export interface RecordedCall {
  method: string;
  payload: Record<string, unknown>;
}

/** A host for one plugin, and what its calls reached; see the module doc. */
export class PluginFixture implements AsyncDisposable {
  /** The config folder; the plugin is in its `plugins/`. */
  readonly configDir: string;
  readonly path: string;
  readonly host: PluginHost;
  /** Stars service calls, as `method args…`. */
  readonly starsCalls: string[] = [];
  readonly apiCalls: RecordedCall[] = [];
  /** What was logged under the tenant's plugin logger (`test-plugin.oracle`). */
  readonly records: LogRecord[];

  private constructor(
    configDir: string,
    path: string,
    records: LogRecord[],
    options: FixtureOptions,
  ) {
    this.configDir = configDir;
    this.path = path;
    this.records = records;
    this.host = new PluginHost({
      path,
      tenantId: "oracle",
      stars: this.#recordingStars(),
      callApi: (method, payload) => {
        this.apiCalls.push({ method, payload });
        return Promise.resolve(
          method === "sendMessage" ? { message_id: 1, text: payload.text } : true,
        );
      },
      logger: getLogger(["test-plugin", "oracle"]),
      random: () => 0,
      ...options,
    });
  }

  /** Writes `source` as `plugins/<name>.ts` of a fresh config folder; the host is not started. */
  static async create(
    source: string,
    options: FixtureOptions & { name?: string } = {},
  ): Promise<PluginFixture> {
    const configDir = await Deno.realPath(
      await Deno.makeTempDir({ prefix: "constellation-plugin-" }),
    );
    await Deno.mkdir(`${configDir}/plugins`);
    const path = `${configDir}/plugins/${options.name ?? "oracle"}.ts`;
    await Deno.writeTextFile(path, source);
    return new PluginFixture(configDir, path, await captureLogs(["test-plugin"]), options);
  }

  /** The log as `level: message`. */
  get logs(): string[] {
    return renderedLogs(this.records);
  }

  /** Runs `update` through the plugin's middleware; resolves with whether it called `next()`. */
  async run(update: Update): Promise<boolean> {
    let passedOn = false;
    await this.host.middleware()({ update } as Context, () => {
      passedOn = true;
      return Promise.resolve();
    });
    return passedOn;
  }

  /** The texts the plugin sent, in order. */
  get texts(): unknown[] {
    return this.apiCalls.filter((call) => call.method === "sendMessage").map((c) => c.payload.text);
  }

  #recordingStars(): StarsService {
    const calls = this.starsCalls;
    return {
      balance: (userId) => {
        calls.push(`balance ${userId}`);
        return Promise.resolve(7);
      },
      deduct: (userId, amount, request) => {
        calls.push(`deduct ${userId} ${amount} ${request.idempotencyKey}`);
        return Promise.resolve({ ok: false, balance: 1, shortfall: amount - 1 });
      },
      offer: (userId, chatId, productId) => {
        calls.push(`offer ${userId} ${chatId} ${productId}`);
        return Promise.resolve({
          kind: "refused",
          reason: "unknown_product",
          textKey: "start.unknown_product",
          text: "No such product.",
        });
      },
      history: (userId, page) => {
        calls.push(`history ${userId} ${page}`);
        if (page === 0) return Promise.reject(new RangeError("history page must be >= 1"));
        return Promise.resolve({ entries: [], total: 0, page: page ?? 1, pages: 1 });
      },
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.host.stop();
    await reset();
    await Deno.remove(this.configDir, { recursive: true });
  }
}
