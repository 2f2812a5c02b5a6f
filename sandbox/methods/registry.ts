/**
 * Every method the sandbox emulates, by its exact Bot API name. A method missing here but
 * present in the generated table answers 501 "not emulated".
 * @module
 */

import { botInfoHandlers } from "./bot_info.ts";
import { callbackHandlers } from "./callbacks.ts";
import { commandHandlers } from "./commands.ts";
import type { Handler } from "./handler.ts";
import { messageHandlers } from "./messages.ts";
import { paymentHandlers } from "./payments.ts";
import { profileHandlers } from "./profile.ts";
import { updatesHandlers } from "./updates.ts";

/** Emulated methods. */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  ...botInfoHandlers,
  ...updatesHandlers,
  ...messageHandlers,
  ...callbackHandlers,
  ...commandHandlers,
  ...paymentHandlers,
  ...profileHandlers,
};
