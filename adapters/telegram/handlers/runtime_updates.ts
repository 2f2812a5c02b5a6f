/**
 * Which updates the runtime's own handlers (`mod.ts`) can act on: pre-checkout queries,
 * callback queries (its buttons), subscription changes, payment and refund messages, and
 * messages that start with a command. Everything else — the plain text a plugin answers, above
 * all — skips the runtime's handlers in one step instead of descending through each of them.
 * grammY runs middleware as nested calls, so every handler an update passes stays on its
 * stack until the update is done: a text message went through about 80 frames before reaching
 * the plugin, and under load that was the largest part of the runtime's memory churn and
 * garbage collection (BENCHMARKS.md).
 *
 * A handler added to `mod.ts` for another kind of update must be added here too; the handler
 * tests go through this filter, so one that is left out fails its test. The one exception is
 * payment support, which takes plain text in private chats: it has a narrow filter of its own
 * after this one (`support.ts`), and costs no query for a buyer without an open ticket.
 *
 * @module
 */
import type { Update } from "grammy/types";

/** True when one of the runtime's handlers may act on `update`. */
export function isForRuntime(update: Update): boolean {
  if (update.pre_checkout_query || update.callback_query || update.subscription) return true;
  const message = update.message;
  if (!message) return false;
  if (message.successful_payment || message.refunded_payment) return true;
  const entities = [...(message.entities ?? []), ...(message.caption_entities ?? [])];
  return entities.some((entity) => entity.type === "bot_command" && entity.offset === 0);
}
