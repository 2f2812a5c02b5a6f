/**
 * The shape of a method implementation: it gets the calling bot, the decoded parameters and
 * the World, and returns the `result` of the envelope or throws an ApiError.
 * @module
 */

import type { Params } from "../http/params.ts";
import type { BotState } from "../world/bot_state.ts";
import type { World } from "../world/world.ts";

/** What a handler is called with. */
export interface CallContext {
  readonly world: World;
  readonly bot: BotState;
  readonly params: Params;
  /** Aborts when the HTTP client goes away; absent for webhook replies, which have none. */
  readonly signal?: AbortSignal;
}

/** A Bot API method implementation. */
export type Handler = (call: CallContext) => unknown;
