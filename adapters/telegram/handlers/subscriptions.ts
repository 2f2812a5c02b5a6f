/**
 * `/subscriptions` (and the menu's button): the user's subscriptions with their state and end
 * of the paid period, and a button per running subscription to stop or resume its renewal
 * (`Subscriptions.setRenewal` of the payment services, which tells Telegram with
 * `editUserStarSubscription`). After a change the list is redrawn in place, so its buttons
 * match the new state.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import type { Subscription } from "../../../money/stores/subscription_records.ts";
import { formatMoment } from "../../../money/payments/parts.ts";
import { encodeCallback } from "../callback_data.ts";
import {
  depsOf,
  type HandlerDeps,
  productTitle,
  senderOf,
  type Translator,
  translatorFor,
} from "./deps.ts";
import { editScreen, keyboard, type Screen, sendScreen } from "./screen.ts";

function renewalButton(
  deps: Pick<HandlerDeps, "config">,
  { t, locale }: Translator,
  s: Subscription,
) {
  const title = productTitle(deps, locale, s.productId);
  if (s.state === "active") {
    return [{
      text: t("subscriptions.cancel", { title }),
      callback_data: encodeCallback({ kind: "renewal", change: "cancel", productId: s.productId }),
    }];
  }
  if (s.state === "canceled") {
    return [{
      text: t("subscriptions.resume", { title }),
      callback_data: encodeCallback({ kind: "renewal", change: "resume", productId: s.productId }),
    }];
  }
  // Expired and refunded subscriptions have nothing to switch.
  return [];
}

/**
 * The subscriptions of `userId`. The end of each period is shown like in receipts
 * (`2025-01-31 12:00 UTC`), so the two can be compared.
 */
export async function subscriptionsScreen(
  deps: Pick<HandlerDeps, "config" | "payments">,
  translator: Translator,
  userId: number,
): Promise<Screen> {
  const { t } = translator;
  const subscriptions = await deps.payments.subscriptions.list(userId);
  if (subscriptions.length === 0) return { text: t("subscriptions.none") };
  const lines = subscriptions.map((s) =>
    t("subscriptions.entry", {
      title: productTitle(deps, translator.locale, s.productId),
      state: t(`subscriptions.state.${s.state}`),
      until: formatMoment(s.expiresAt),
    })
  );
  return {
    text: [t("subscriptions.title"), ...lines].join("\n"),
    reply_markup: keyboard(subscriptions.map((s) => renewalButton(deps, translator, s))),
  };
}

/**
 * A renewal button was pressed: switches the renewal, confirms it in a message and redraws the
 * list. Returns the callback answer's text: `callback.unknown` when there is no such running
 * subscription (a stale button), else nothing. A Bot API error throws.
 */
export async function changeRenewal(
  deps: HandlerDeps,
  ctx: Context,
  productId: string,
  change: "cancel" | "resume",
): Promise<string | undefined> {
  const { user } = senderOf(ctx);
  const translator = translatorFor(deps, ctx);
  const { t } = translator;
  const result = await deps.payments.subscriptions.setRenewal(
    user.id,
    productId,
    change === "cancel",
  );
  if (result.kind === "unknown_subscription" || result.kind === "not_running") {
    return t("callback.unknown");
  }
  const title = productTitle(deps, translator.locale, productId);
  await ctx.reply(
    result.kind === "canceled"
      ? t("subscriptions.canceled", {
        title,
        until: formatMoment(result.subscription.expiresAt),
      })
      : t("subscriptions.resumed", { title }),
  );
  await editScreen(ctx, await subscriptionsScreen(deps, translator, user.id));
  return undefined;
}

/** The `/subscriptions` handler. */
export function subscriptionsHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("subscriptions", async (ctx) => {
    const deps = depsOf(ctx);
    const { user } = senderOf(ctx);
    await sendScreen(ctx, await subscriptionsScreen(deps, translatorFor(deps, ctx), user.id));
  });
  return composer;
}
