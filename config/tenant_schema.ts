/**
 * The schema of a tenant file, `<CONFIG_DIR>/tenants/<tenantId>.json`: one bot, its products and
 * its settings. The same schema produces `config/tenant.schema.json` for editors (see
 * `write_schema.ts`), so every default is explained in a `.describe()` text.
 *
 * Objects are strict so a typo in a field name is an error instead of a silently ignored setting.
 * Every check carries a message of the form `expected …`; `plain_issues.ts` adds what was found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TenantFileSchema } from "./tenant_schema.ts";
 *
 * const file = TenantFileSchema.parse({ token: "env:SHOP_BOT_TOKEN" });
 * assert.equal(file.apiRoot, "https://api.telegram.org");
 * assert.equal(file.updates, "polling");
 * assert.equal(file.stars.subscriptionPeriod, 2_592_000);
 * // A typo in a field name is an error, not a silently ignored setting.
 * const typo = TenantFileSchema.safeParse({ token: "env:SHOP_BOT_TOKEN", updatse: "webhook" });
 * assert.equal(typo.success, false);
 * ```
 * @module
 */
import { z } from "zod";
import { SHOW_INPUT } from "./plain_issues.ts";
import {
  ENV_REFERENCE,
  isSecretReference,
  isWellFormedReference,
  SECRET_REFERENCE_HINT,
} from "./secrets.ts";

/** Tenant ids come from file names and end up in logs, URLs and database keys. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * Product ids go into deep links `/start buy_<id>` (a start payload allows only `A-Za-z0-9_-`,
 * 64 characters at most) and into button data (64 bytes at most, of which the longest form,
 * `stars:sub:resume:`, takes 17).
 */
export const PRODUCT_ID_PATTERN = /^[A-Za-z0-9_-]{1,47}$/;

/** The public Telegram Bot API. */
export const DEFAULT_API_ROOT = "https://api.telegram.org";

/** The only subscription period Telegram accepts in production: 30 days, in seconds. */
export const SUBSCRIPTION_PERIOD_SECONDS = 2592000;

/** Short subscription periods (seconds) that Telegram accepts only in its test environment. */
export const TEST_SUBSCRIPTION_PERIODS: readonly number[] = [60, 300];

/** Telegram's maximum price of a Stars subscription. */
export const MAX_SUBSCRIPTION_PRICE = 10000;

const SECRET_PATHS = new Set(["token", "webhook.secretToken", "mtproto.apiId", "mtproto.apiHash"]);

/**
 * True for the field paths (as in error messages) that hold secrets, whose values must never
 * be shown.
 */
export function isSecretPath(path: string): boolean {
  return SECRET_PATHS.has(path);
}

/** True for an absolute `http:` or `https:` URL without credentials, query or fragment. */
export function isHttpUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" &&
    url.username === "" && url.password === "" && url.search === "" && url.hash === "";
}

// A bot token is `<bot id>:<secret>`; finding that shape in apiRoot means the token was pasted
// into the URL, which would leak it into logs (grammY appends `/bot<token>` by itself).
const TOKEN_IN_TEXT = /\d{3,}:[A-Za-z0-9_-]{20,}/;

/** The Levenshtein distance of `a` and `b`, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

/** ` (did you mean "name"?)` when one of `allowed` is close to `key`, else nothing. */
function didYouMean(key: string, allowed: readonly string[]): string {
  const closest = allowed
    .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)[0];
  return closest && closest.distance <= 2 ? ` (did you mean "${closest.name}"?)` : "";
}

/** Every unknown key gets its own hint, at the top level as in nested objects. */
function unknownFieldsMessage(keys: readonly string[], allowed: readonly string[]): string {
  const expected = `expected only: ${allowed.join(", ")}`;
  if (keys.length !== 1) {
    const named = keys.map((key) => `${JSON.stringify(key)}${didYouMean(key, allowed)}`);
    return `unknown fields ${named.join(", ")}; ${expected}`;
  }
  return `unknown field${didYouMean(keys[0], allowed)}; ${expected}`;
}

/** A strict object whose errors list the allowed fields and suggest the closest one. */
function strictObject<Shape extends z.core.$ZodLooseShape>(shape: Shape, what = "an object") {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === "unrecognized_keys") return unknownFieldsMessage(issue.keys, allowed);
      if (issue.code === "invalid_type") return `expected ${what}`;
      return undefined;
    },
  });
}

/** An integer in `[min, max]`; `note` says why the limits exist. */
function integer(min: number, max?: number, note?: string) {
  const range = max === undefined ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  const error = `expected ${range}${note ? ` (${note})` : ""}`;
  const atLeast = z.int({ error }).min(min, { error });
  return max === undefined ? atLeast : atLeast.max(max, { error });
}

/** A string of `min..max` characters; `note` says why the limits exist. */
function text(min: number, max: number, note?: string) {
  const error = `expected a text of ${min} to ${max} characters${note ? ` (${note})` : ""}`;
  return z.string({ error }).min(min, { error }).max(max, { error });
}

/**
 * A locale tag as the texts' files are named (`en`, `ru`, `pt-br`): whether a file exists for it
 * is checked as the tenant is loaded (`adapters/config/tenant_checks.ts`), since the files are
 * the adapters' and the schema knows none of them.
 */
export const LOCALE_PATTERN = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/;

const LOCALE_ERROR = 'expected a lowercase locale tag such as "en", "ru" or "pt-br"';

function localeTag() {
  return z.string({ error: LOCALE_ERROR }).refine((tag) => LOCALE_PATTERN.test(tag), {
    error: LOCALE_ERROR,
    params: SHOW_INPUT,
  });
}

/** A text for every locale, or one per locale (each within the limits). */
function localizedText(min: number, max: number, note: string) {
  const error = `expected a text of ${min} to ${max} characters (${note}), ` +
    `or an object mapping locales to such texts`;
  return z.union([
    text(min, max, note),
    z.record(localeTag(), text(min, max, note), { error })
      .refine((map) => Object.keys(map).length > 0, { error: "expected at least one locale" }),
  ], { error });
}

function flag() {
  return z.boolean({ error: "expected true or false" });
}

/** A secret: `env:NAME` (resolved at load time) or, discouraged, the literal value. */
function secret() {
  const error = `expected a secret reference ${SECRET_REFERENCE_HINT}`;
  return z.string({ error }).min(1, { error }).refine(
    (value) => !isSecretReference(value) || isWellFormedReference(value),
    { error },
  );
}

function unique(label: string, key: (item: unknown) => unknown) {
  return (items: readonly unknown[], ctx: z.core.$RefinementCtx<unknown>) => {
    // The check also runs when the field failed its own type check (to report every problem at
    // once), so the value may not be an array at all: that error is already reported.
    if (!Array.isArray(items)) return;
    const firstIndex = new Map<unknown, number>();
    items.forEach((item, index) => {
      const value = key(item);
      if (value === undefined) return;
      const first = firstIndex.get(value);
      if (first === undefined) {
        firstIndex.set(value, index);
        return;
      }
      ctx.addIssue({
        code: "custom",
        path: typeof item === "object" ? [index, "id"] : [index],
        message: `duplicate ${label} ${JSON.stringify(value)}: index ${first} has it too; ` +
          `expected each ${label} to appear once`,
      });
    });
  };
}

const productIdOf = (item: unknown) =>
  typeof item === "object" && item !== null && typeof (item as { id?: unknown }).id === "string"
    ? (item as { id: string }).id
    : undefined;

// Fields every product kind shares.
const productFields = {
  id: z.string({ error: "expected a product id" }).regex(PRODUCT_ID_PATTERN, {
    error: `expected 1 to 47 letters, digits, "_" or "-" (the id is used in the deep link ` +
      `/start buy_<id>, whose payload allows only these characters, and in button data of ` +
      `64 bytes at most)`,
  }).describe("Product id, unique within the tenant; buyers open /start buy_<id> to buy it."),
  title: localizedText(1, 32, "Telegram's limit for invoice titles").describe(
    "Invoice title shown to the buyer (1 to 32 characters), or one per locale " +
      '({"en": "Coffee voucher", "ru": "Купон на кофе"}).',
  ),
  description: localizedText(1, 255, "Telegram's limit for invoice descriptions").describe(
    "Invoice description shown to the buyer (1 to 255 characters), or one per locale.",
  ),
  price: integer(1, undefined, "price in Telegram Stars")
    .describe("Price in Telegram Stars (XTR), a whole number of at least 1."),
  enabled: flag().default(true)
    .describe("Whether the product can be bought. Default true; false hides it from buyers."),
};

const CreditsProductSchema = strictObject({
  kind: z.literal("credits").describe("A pack of in-bot credits."),
  ...productFields,
  credits: integer(1).describe("Credits granted to the buyer's in-bot balance after payment."),
}).describe("A pack of in-bot credits.");

const ItemProductSchema = strictObject({
  kind: z.literal("item").describe("A digital item delivered as a message."),
  ...productFields,
  content: text(1, 4096, "Telegram's limit for a message")
    .describe("Text sent to the buyer after payment (1 to 4096 characters)."),
}).describe("A digital item whose content is sent to the buyer after payment.");

const SubscriptionProductSchema = strictObject({
  kind: z.literal("subscription").describe("A recurring Stars subscription."),
  ...productFields,
  price: integer(1, MAX_SUBSCRIPTION_PRICE, "Telegram's limit for subscription prices")
    .describe("Price per period in Telegram Stars (XTR), from 1 to 10000 (Telegram's limit)."),
  credits: integer(1).optional()
    .describe("Credits granted at each paid period. Optional; without it only access is sold."),
}).describe("A subscription renewed by Telegram every stars.subscriptionPeriod seconds.");

/** One product: a discriminated union on `kind`. */
export const ProductSchema = z.discriminatedUnion(
  "kind",
  [CreditsProductSchema, ItemProductSchema, SubscriptionProductSchema],
  {
    error: (issue) =>
      (issue.code as string) === "invalid_type"
        ? "expected a product object"
        : `expected kind to be "credits", "item" or "subscription"`,
  },
);

const StarsSchema = strictObject({
  enabled: flag().default(true)
    .describe("Whether the bot sells for Telegram Stars. Default true."),
  lowBalanceThreshold: integer(0, undefined, "credits")
    .default(0)
    .describe(
      "Credits balance at or below which a user is told their balance is low. Default 0 " +
        "(warn only when nothing is left).",
    ),
  subscriptionPeriod: z.literal([SUBSCRIPTION_PERIOD_SECONDS, ...TEST_SUBSCRIPTION_PERIODS], {
    error: "expected 2592000 (30 days), or 60 or 300 when testEnvironment is true",
  }).default(SUBSCRIPTION_PERIOD_SECONDS).describe(
    "Subscription period in seconds. Default 2592000 (30 days), the only period Telegram " +
      "accepts in production; 60 and 300 are accepted only with testEnvironment: true.",
  ),
  orderTtlSeconds: integer(60, 86400).default(3600).describe(
    "How long an issued invoice can be paid, in seconds (60 to 86400). Default 3600 (one hour).",
  ),
});

const WebhookSchema = strictObject({
  secretToken: secret().optional().describe(
    "Secret that Telegram sends in X-Telegram-Bot-Api-Secret-Token, as env:NAME. Optional.",
  ),
});

const apiIdError = `expected a positive integer or a secret reference ${SECRET_REFERENCE_HINT}`;

const MtprotoSchema = strictObject({
  apiId: z.union([integer(1), z.string().regex(ENV_REFERENCE, { error: apiIdError })], {
    error: apiIdError,
  })
    .describe("api_id from my.telegram.org: a positive integer or env:NAME."),
  apiHash: secret().describe("api_hash from my.telegram.org, as env:NAME."),
});

const TextsSchema = z.record(
  localeTag(),
  z.record(z.string(), text(1, 4096, "Telegram's limit for a message"), {
    error: "expected an object mapping text keys to texts",
  }),
  { error: "expected an object mapping locales to text overrides" },
);

const BalanceSchema = strictObject({
  cacheTtlSeconds: integer(1, 3600).default(60).describe(
    "How long the bot's Stars balance is cached, in seconds (1 to 3600). Default 60.",
  ),
  reconcileIntervalSeconds: integer(30, 86400).default(600).describe(
    "How often the Stars balance is reconciled with Telegram, in seconds (30 to 86400). " +
      "Default 600 (ten minutes).",
  ),
});

const ABSOLUTE_PATH = /^([A-Za-z]:)?[\\/]/;

const PluginSchema = z.string({ error: "expected a path to a .ts or .js module" })
  .refine((path) => !ABSOLUTE_PATH.test(path), {
    error: "expected a path relative to the config folder, not an absolute path",
    params: SHOW_INPUT,
  })
  .refine((path) => !path.split(/[\\/]/).includes(".."), {
    error: `expected a path inside the config folder (no ".." segments)`,
    params: SHOW_INPUT,
  })
  .refine((path) => /\.(ts|js)$/.test(path), {
    error: `expected a path ending in ".ts" or ".js"`,
    params: SHOW_INPUT,
  });

const ApiRootSchema = z.string({ error: "expected an http(s) URL" })
  // Trailing slashes are dropped so that `${apiRoot}/bot<token>/…` never has a double slash.
  .overwrite((url) => url.trim().replace(/\/+$/, ""))
  .refine(isHttpUrl, {
    error: "expected an http:// or https:// URL without query or fragment, " +
      "such as https://api.telegram.org",
    params: SHOW_INPUT,
  })
  .refine((url) => !TOKEN_IN_TEXT.test(url), {
    error: "expected apiRoot without the bot token (it is added to the URL automatically)",
  });

/** The whole tenant file. */
export const TenantFileSchema = strictObject({
  $schema: z.string({ error: "expected the path or URL of tenant.schema.json" }).optional()
    .describe("JSON Schema of this file, for editors. Ignored by Constellation."),
  token: secret().describe(
    "Bot token from @BotFather, as env:NAME naming the environment variable that holds it. " +
      "A literal token works but is reported as a warning.",
  ),
  enabled: flag().default(true)
    .describe("Whether the bot runs. Default true; false keeps the file but stops the bot."),
  apiRoot: ApiRootSchema.default(DEFAULT_API_ROOT).describe(
    "Base URL of the Bot API, e.g. a self-hosted Bot API server or the local sandbox. " +
      "Default https://api.telegram.org. A trailing slash is removed.",
  ),
  testEnvironment: flag().default(false)
    .describe("Use Telegram's test environment. Default false."),
  updates: z.enum(["polling", "webhook"], { error: `expected "polling" or "webhook"` })
    .default("polling")
    .describe("How updates are received: long polling or webhook. Default polling."),
  webhook: WebhookSchema.optional().describe("Webhook settings. Optional."),
  admins: z.array(integer(1, undefined, "a Telegram user id"), { error: "expected a list" })
    .superRefine(unique("admin id", (id) => (typeof id === "number" ? id : undefined)), {
      when: () => true,
    })
    .default([])
    .describe("Telegram user ids of the bot's administrators, each once. Default none."),
  locale: localeTag().default("en").describe(
    "Language for users whose Telegram language has no texts; any locale with a file in " +
      "adapters/telegram/locales/ (en, ru …). Default en.",
  ),
  stars: StarsSchema.prefault({})
    .describe("Telegram Stars settings. Default {}: every field takes its own default."),
  products: z.array(ProductSchema, { error: "expected a list of products" })
    // Runs even when some product is invalid, so duplicates are reported together with it.
    .superRefine(unique("product id", productIdOf), { when: () => true })
    .default([])
    .describe("Products for sale, with unique ids. Default none."),
  texts: TextsSchema.prefault({}).describe(
    "Per-tenant overrides of the bot's texts, by locale, then by text key, in Fluent syntax. " +
      "Default none.",
  ),
  plugin: PluginSchema.optional().describe(
    "Path of a TypeScript or JavaScript module relative to the config folder, " +
      "inside it, ending in .ts or .js. Optional.",
  ),
  pluginWorker: z.enum(["shared", "own"], { error: 'expected "shared" or "own"' })
    .default("shared")
    .describe(
      "Whether the plugin runs in the worker shared by every tenant using the same plugin " +
        'file ("shared": one instance per tenant, the module\'s top-level state shared) or in ' +
        'a worker of its own ("own", for a plugin keeping per-tenant state at its top level). ' +
        "Default shared.",
    ),
  mtproto: MtprotoSchema.optional()
    .describe("MTProto credentials from my.telegram.org, for features the Bot API lacks."),
  balance: BalanceSchema.prefault({})
    .describe("Stars balance tracking. Default {}: every field takes its own default."),
}, "a JSON object with the tenant's settings")
  .superRefine((file, ctx) => {
    const period = file.stars.subscriptionPeriod;
    if (period === SUBSCRIPTION_PERIOD_SECONDS || file.testEnvironment) return;
    ctx.addIssue({
      code: "custom",
      path: ["stars", "subscriptionPeriod"],
      message: `expected 2592000 (30 days): a period of ${period} seconds is accepted only in ` +
        `Telegram's test environment, so set testEnvironment to true or remove subscriptionPeriod`,
    });
  }, {
    // Also runs when unrelated fields are invalid, as long as the two fields it compares are valid.
    when: (payload) =>
      typeof payload.value === "object" && payload.value !== null &&
      !Array.isArray(payload.value) &&
      !payload.issues.some((issue) =>
        ["stars", "testEnvironment"].includes(String(issue.path?.[0]))
      ),
  })
  .meta({
    title: "Constellation tenant",
    description: "One bot hosted by Constellation: <CONFIG_DIR>/tenants/<tenantId>.json, " +
      "where the tenant id is the file name without .json.",
  });

/** A tenant file after parsing, with every default applied. Secrets are still references. */
export type TenantFile = z.output<typeof TenantFileSchema>;

/** A tenant file as written: every field with a default is optional. */
export type TenantFileInput = z.input<typeof TenantFileSchema>;

/** Any product. */
export type Product = z.output<typeof ProductSchema>;
/** A pack of in-bot credits. */
export type CreditsProduct = Extract<Product, { kind: "credits" }>;
/** A digital item delivered after payment. */
export type ItemProduct = Extract<Product, { kind: "item" }>;
/** A recurring Stars subscription. */
export type SubscriptionProduct = Extract<Product, { kind: "subscription" }>;
/** The `stars` settings with defaults applied. */
export type StarsSettings = TenantFile["stars"];
/** The `balance` settings with defaults applied. */
export type BalanceSettings = TenantFile["balance"];

/** A loaded tenant: the parsed file plus its id and origin, with secrets resolved. */
export interface TenantConfig
  extends Omit<TenantFile, "$schema" | "token" | "webhook" | "mtproto" | "plugin"> {
  /** The file name without `.json` (or `default` in the single-bot `.env` mode). */
  id: string;
  /** Path of the file the tenant came from, or `environment` in the single-bot mode. */
  source: string;
  /** The bot token itself. */
  token: string;
  /** Webhook settings, the secret token resolved. */
  webhook?: { secretToken?: string };
  /** MTProto credentials, resolved. */
  mtproto?: { apiId: number; apiHash: string };
  /** Absolute path of the plugin module. */
  plugin?: string;
}
