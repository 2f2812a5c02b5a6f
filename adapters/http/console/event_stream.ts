/**
 * Server-sent events for the console's live views. A stream sends what `poll` returns every
 * `intervalMs` when it changed (and once at the start), plus whatever `push` sources send at
 * once, and ends after `lifetimeMs` — the browser's `EventSource` reconnects by itself (in
 * `retry` ms) — or when the console closes, so a stop of the process never waits for a browser.
 *
 * @module
 */

/** One event: its name and data (sent as JSON). */
export interface ConsoleEvent {
  readonly event: string;
  readonly data: unknown;
}

/** How a stream is fed. */
export interface EventStreamOptions {
  /** Read every interval; sent when it differs from the last sent. */
  poll?: () => Promise<ConsoleEvent[]>;
  intervalMs: number;
  /** Subscribes to events sent as they happen; returns the unsubscribe function. */
  push?: (send: (event: ConsoleEvent) => void) => () => void;
  /** How long a stream lasts before the browser is asked to reconnect. */
  lifetimeMs: number;
  /** Ends the stream (the console is closing). */
  signal: AbortSignal;
  headers: Record<string, string>;
}

const encoder = new TextEncoder();

function frame({ event, data }: ConsoleEvent): Uint8Array {
  // JSON has no raw newline, so the data is one `data:` line.
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** An SSE response; see the module doc. */
export function eventStream(options: EventStreamOptions): Response {
  const last = new Map<string, string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe = () => {};
  let closed = false;
  let end = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      end = () => {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        clearTimeout(lifetime);
        unsubscribe();
        options.signal.removeEventListener("abort", end);
        try {
          controller.close();
        } catch {
          // Cancelled by the client: nothing left to close.
        }
      };
      const send = (event: ConsoleEvent) => {
        if (!closed) controller.enqueue(frame(event));
      };
      controller.enqueue(encoder.encode(`retry: 2000\n\n`));
      const lifetime = setTimeout(end, options.lifetimeMs);
      options.signal.addEventListener("abort", end, { once: true });
      if (options.signal.aborted) return end();
      if (options.push) unsubscribe = options.push(send);
      const tick = async () => {
        try {
          for (const event of await options.poll!()) {
            const json = JSON.stringify(event.data);
            if (last.get(event.event) === json) continue;
            last.set(event.event, json);
            send(event);
          }
        } catch {
          // The reason may quote internals; the page only learns that this round failed.
          send({ event: "problem", data: { error: "could not read the live data" } });
        }
        if (!closed) timer = setTimeout(tick, options.intervalMs);
      };
      if (options.poll) void tick();
    },
    cancel() {
      end();
    },
  });
  return new Response(body, {
    headers: {
      ...options.headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}
