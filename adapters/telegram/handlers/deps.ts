/**
 * What every handler of a hosted bot gets, and the small helpers they share: the user's
 * translator and the sender of an update.
 *
 * @module
 */
import type { Context, MiddlewareFn } from "grammy";
import type { User } from "grammy/types";
import type { Logger } from "@logtape/logtape";
import type { TenantConfig } from "../../../config/tenant_schema.ts";
import type { PaymentServices } from "../../../money/payments/services.ts";
import type { BotStars } from "../../../money/ports.ts";
import type { Reconciler } from "../../../money/reconciliation/reconciler.ts";
import type { Texts } from "../texts.ts";
import { localized } from "../../../config/localized.ts";

/** What the handlers of one tenant need. */
export interface HandlerDeps {
  config: TenantConfig;
  texts: Texts;
  /** The tenant's payment services: checkout, payments received, refunds, credits, subscriptions. */
  payments: PaymentServices;
  logger: Logger;
  /**
   * The bot's own Stars (the BalanceActor's client), for the admins' `/transactions` and
   * `/revenue`; without it they answer that they are not set up. Not a user's credits: those
   * are `payments.credits`.
   */
  botStars?: BotStars;
  /** The tenant's reconciler, for the admins' `/reconcile`; without it, likewise. */
  reconciler?: Reconciler;
}

/** Where {@linkcode provideDeps} leaves a tenant's deps on each of its updates' contexts. */
const DEPS = Symbol("tenant handler deps");

type WithDeps = Context & { [DEPS]?: HandlerDeps };

/**
 * The middleware that hands the tenant's deps to the handlers: the handlers are one composer
 * tree shared by every tenant of the process (`mod.ts`), so each update brings its tenant's deps
 * along on its context instead of each tenant building a tree of its own around them.
 */
export function provideDeps(deps: HandlerDeps): MiddlewareFn<Context> {
  return (ctx, next) => {
    (ctx as WithDeps)[DEPS] = deps;
    return next();
  };
}

/** The deps of the tenant whose update `ctx` is; throws when no {@linkcode provideDeps} ran. */
export function depsOf(ctx: Context): HandlerDeps {
  const deps = (ctx as WithDeps)[DEPS];
  if (deps === undefined) {
    throw new TypeError(
      `update ${ctx.update.update_id} reached the Stars handlers without its tenant's deps; ` +
        `install them with tenantHandlers(deps)`,
    );
  }
  return deps;
}

/** A translator bound to one user's language. */
export type Translator = ReturnType<Texts["forUser"]>;

/**
 * The translator for the user behind `ctx`: their Telegram language when we speak it, the
 * tenant's locale otherwise.
 */
export function translatorFor(deps: Pick<HandlerDeps, "texts">, ctx: Context): Translator {
  return deps.texts.forUser(ctx.from?.language_code);
}

/**
 * The title of the product `productId` in `locale`, or the id when the product has been removed
 * from the config since.
 */
export function productTitle(
  deps: Pick<HandlerDeps, "config">,
  locale: string,
  productId: string,
): string {
  const product = deps.config.products.find((candidate) => candidate.id === productId);
  return product === undefined ? productId : localized(product.title, locale, deps.config.locale);
}

/** Whether the sender is one of the tenant's admins; logs the attempt (`what`) when not. */
export function isAdmin(
  deps: Pick<HandlerDeps, "config" | "logger">,
  ctx: Context,
  what: string,
): boolean {
  const { user } = senderOf(ctx);
  if (deps.config.admins.includes(user.id)) return true;
  deps.logger.warn("User {userId} tried {what} but is not an admin.", { userId: user.id, what });
  return false;
}

/**
 * The user who sent the update and the chat to answer in. The handlers run only for private
 * chats and callback queries, which always have both, so a missing one is a wiring mistake and
 * throws naming the update.
 */
export function senderOf(ctx: Context): { user: User; chatId: number } {
  const user = ctx.from;
  const chatId = ctx.chat?.id;
  if (user === undefined || chatId === undefined) {
    throw new TypeError(
      `update ${ctx.update.update_id} has no ${user === undefined ? "sender" : "chat"}; ` +
        `the Stars handlers need both`,
    );
  }
  return { user, chatId };
}
