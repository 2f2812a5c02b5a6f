/**
 * What a person does in a chat, by name rather than by message: press the button carrying some
 * callback data, pay "the" invoice. Shared by the console (`cli/console_commands.ts`) and the
 * HTTP user API (`cli/user_api.ts`).
 *
 * @module
 */

import type { Message } from "grammy/types";
import type { PaymentOutcome } from "../world/checkout.ts";
import type { SandboxBot } from "../sandbox_bot.ts";
import type { ClickResult, SandboxUser } from "../sandbox_user.ts";

const INVOICE_LINK = /^(https:\/\/)?t\.me\/\$/;

/** The invoice links (createInvoiceLink's `https://t.me/$…`) behind a message's URL buttons. */
function invoiceLinks(message: Message): string[] {
  return message.reply_markup?.inline_keyboard.flat().flatMap((b) =>
    "url" in b && b.url && INVOICE_LINK.test(b.url) ? [b.url] : []
  ) ?? [];
}

/** Presses the button with `data` on the newest message of `bot` that has it. */
export async function clickButton(
  user: SandboxUser,
  bot: SandboxBot,
  data: string,
): Promise<ClickResult> {
  const message = user.messages(bot).findLast((m) =>
    m.reply_markup?.inline_keyboard.flat().some((b) =>
      "callback_data" in b && b.callback_data === data
    )
  );
  if (!message) throw new Error(`no message with a button "${data}"`);
  return await user.click(bot, message, data);
}

/**
 * Pays an invoice of `bot`: `which` is an invoice link, or the message id of an invoice message
 * or of a message with an invoice link button (a subscription's, say); without it, the newest
 * message that is an invoice or carries an invoice link.
 */
export async function payInvoice(
  user: SandboxUser,
  bot: SandboxBot,
  which?: string | number,
): Promise<PaymentOutcome> {
  if (typeof which === "string" && INVOICE_LINK.test(which)) return await user.pay(bot, which);
  const messages = user.messages(bot);
  const payable = (m: Message) => m.invoice !== undefined || invoiceLinks(m).length > 0;
  const message = which === undefined
    ? messages.findLast(payable)
    : messages.find((m) => m.message_id === Number(which));
  if (!message || !payable(message)) {
    throw new Error(
      which === undefined
        ? `@${bot.username} sent ${user.firstName} no invoice`
        : `message ${which} is neither an invoice nor has an invoice link`,
    );
  }
  return await user.pay(bot, message.invoice ? message : invoiceLinks(message)[0]);
}
