/**
 * Watching a promise without awaiting it, for tests that must show something is still pending
 * (a send blocked on a full channel, an ask waiting for its reply) and then that it settles.
 *
 * @example
 * ```ts ignore
 * const sent = track(channel.send(4));
 * await flushMicrotasks();
 * sent.settled; // false: the channel is full
 * ```
 * @module
 */

/** What {@linkcode track} has seen of a promise so far. */
export interface Tracked<T> {
  settled: boolean;
  /** The value it fulfilled with, once it has. */
  value?: T;
  /** The reason it rejected with, once it has. */
  error?: unknown;
}

/**
 * Returns a state that fills in when `promise` settles; look at it after letting callbacks
 * run (e.g. `flushMicrotasks`). Tracking also handles a rejection, so none goes unhandled.
 *
 * @example
 * ```ts ignore
 * const reply = track(ref.ask((reply) => ({ type: "Get", reply })));
 * await flushMicrotasks();
 * reply.value; // the answer, once the actor replied
 * ```
 */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const state: Tracked<T> = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  );
  return state;
}
