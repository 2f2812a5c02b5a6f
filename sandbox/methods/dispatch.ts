/**
 * Runs one Bot API call for a bot, whatever transport it came by (HTTP or a webhook reply):
 * resolves the method name case-insensitively against the generated table (unknown → 404),
 * applies injected faults (an error, or a {@linkcode TransportFault} the HTTP layer acts out),
 * validates parameters, refuses methods the sandbox does not emulate
 * (501, never a fake success), runs the handler and records the call on the bot.
 * @module
 */

import { BOT_API_METHODS } from "../bot_api_spec.ts";
import { ApiError, notEmulated, notFound } from "../errors.ts";
import { coerceParams } from "../http/coerce_params.ts";
import type { BotState, CallRecord } from "../world/bot_state.ts";
import { type Fault, TransportFault } from "../world/faults.ts";
import type { World } from "../world/world.ts";
import { HANDLERS } from "./registry.ts";

// Telegram treats method names case-insensitively ("All methods in the Bot API are
// case-insensitive").
const CANONICAL = new Map(Object.keys(BOT_API_METHODS).map((name) => [name.toLowerCase(), name]));

/**
 * Executes `method` for `bot` with raw parameters; returns the envelope's `result` or throws an
 * {@linkcode ApiError}. `signal` (the HTTP request's) tells a long poll that its client left.
 */
export async function dispatchCall(
  world: World,
  bot: BotState,
  method: string,
  raw: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<unknown> {
  const at = world.clock.now();
  const name = CANONICAL.get(method.toLowerCase()) ?? method;
  world.options.onCallStart?.(bot, name);
  let params: Readonly<Record<string, unknown>> = raw;
  try {
    if (!CANONICAL.has(method.toLowerCase())) throw notFound();
    const fault = takeFault(bot, name);
    if (fault?.kind === "error") throw new ApiError(fault.body);
    if (fault?.kind === "hang" || fault?.kind === "drop") throw new TransportFault(fault.kind);
    const decoded = coerceParams(BOT_API_METHODS[name], raw);
    params = decoded.values;
    const handler = HANDLERS[name];
    if (!handler) throw notEmulated(name);
    const result = await handler({ world, bot, params: decoded, signal });
    if (fault?.kind === "lose_answer") {
      record(world, bot, { method: name, params, ok: true, at, fault: fault.kind });
      throw new TransportFault(fault.kind);
    }
    record(world, bot, { method: name, params, ok: true, at });
    return result;
  } catch (error) {
    if (error instanceof ApiError) {
      record(world, bot, { method: name, params, ok: false, at, error: error.body });
    } else if (error instanceof TransportFault && error.kind !== "lose_answer") {
      record(world, bot, { method: name, params, ok: false, at, fault: error.kind });
    }
    throw error;
  }
}

function takeFault(bot: BotState, method: string): Fault | undefined {
  const queue = bot.faults.get(method.toLowerCase());
  if (!queue || queue.length === 0) return undefined;
  const fault = queue.shift();
  if (queue.length === 0) bot.faults.delete(method.toLowerCase());
  return fault;
}

function record(world: World, bot: BotState, call: CallRecord): void {
  if (world.options.recordCalls) bot.calls.push(call);
  world.options.onCall?.(bot, call);
}
