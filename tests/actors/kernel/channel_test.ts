import assert from "node:assert/strict";
import { Channel, ChannelClosedError } from "../../../actors/kernel/channel.ts";
import { flushMicrotasks } from "../../../actors/kernel/clock.ts";
import { track } from "../../support/track_promise.ts";

Deno.test("Channel rejects a capacity that is not an integer >= 1, naming the value", () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => new Channel(bad), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, new RegExp(`got ${String(bad)}$`));
      return true;
    });
  }
  assert.equal(new Channel(1).capacity, 1);
});

Deno.test("Channel delivers values in send order, across ring-buffer wrap-around", async () => {
  const channel = new Channel<number>(3);
  const received: number[] = [];
  for (let i = 0; i < 10; i++) {
    await channel.send(i);
    if (i % 2 === 1) {
      received.push(await channel.receive());
      received.push(await channel.receive());
    }
  }
  assert.deepEqual(received, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(channel.size, 0);
});

Deno.test("Channel send waits while full and blocked senders get in in FIFO order", async () => {
  const channel = new Channel<string>(1);
  await channel.send("a");
  const b = track(channel.send("b"));
  const c = track(channel.send("c"));
  await flushMicrotasks();
  assert.equal(b.settled, false);
  assert.equal(c.settled, false);
  assert.equal(channel.size, 1);

  assert.equal(await channel.receive(), "a");
  await flushMicrotasks();
  assert.equal(b.settled, true, "first blocked sender got the freed slot");
  assert.equal(c.settled, false, "second blocked sender still waits");

  assert.equal(await channel.receive(), "b");
  await flushMicrotasks();
  assert.equal(c.settled, true);
  assert.equal(await channel.receive(), "c");
});

Deno.test("Channel trySend is false when full or closed and true when there is room", async () => {
  const channel = new Channel<number>(2);
  assert.equal(channel.trySend(1), true);
  assert.equal(channel.trySend(2), true);
  assert.equal(channel.trySend(3), false);
  assert.equal(channel.size, 2);
  assert.deepEqual(channel.tryReceive(), { ok: true, value: 1 });
  assert.equal(channel.trySend(3), true);
  channel.close();
  assert.equal(channel.trySend(4), false);
  assert.deepEqual([await channel.receive(), await channel.receive()], [2, 3]);
});

Deno.test("Channel hands a value straight to a waiting receiver", async () => {
  const channel = new Channel<string>(1);
  const pending = channel.receive();
  assert.equal(channel.trySend("direct"), true);
  assert.equal(await pending, "direct");
  assert.equal(channel.size, 0);
});

Deno.test("Channel close rejects blocked senders but keeps buffered values", async () => {
  const channel = new Channel<number>(1);
  await channel.send(1);
  const blocked = [channel.send(2), channel.send(3)];
  channel.close();
  await Promise.all(blocked.map((send) => assert.rejects(send, ChannelClosedError)));
  assert.equal(await channel.receive(), 1);
  await assert.rejects(channel.receive(), ChannelClosedError);
});

Deno.test("Channel close rejects a receiver blocked on an empty channel", async () => {
  const channel = new Channel<number>(4);
  const receiving = channel.receive();
  channel.close();
  await assert.rejects(receiving, ChannelClosedError);
});

Deno.test("Channel drains buffered values after close, then rejects; close is idempotent", async () => {
  const channel = new Channel<number>(3);
  await channel.send(1);
  await channel.send(2);
  channel.close();
  channel.close();
  assert.equal(channel.closed, true);
  await assert.rejects(channel.send(3), ChannelClosedError);
  assert.equal(await channel.receive(), 1);
  assert.deepEqual(channel.tryReceive(), { ok: true, value: 2 });
  assert.deepEqual(channel.tryReceive(), { ok: false });
  await assert.rejects(channel.receive(), ChannelClosedError);
});

Deno.test("Channel async iteration yields every value until closed and drained", async () => {
  const channel = new Channel<number>(2);
  const producer = (async () => {
    for (let i = 1; i <= 10; i++) await channel.send(i);
    channel.close();
  })();
  const seen: number[] = [];
  for await (const value of channel) seen.push(value);
  await producer;
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("Channel async iteration ends when closed while waiting on an empty channel", async () => {
  const channel = new Channel<number>(1);
  const consumer = Array.fromAsync(channel);
  await channel.send(7);
  await flushMicrotasks();
  channel.close();
  assert.deepEqual(await consumer, [7]);
});

Deno.test("Channel aborting a blocked send rejects with the reason and does not enqueue", async () => {
  const channel = new Channel<string>(1);
  await channel.send("kept");
  const controller = new AbortController();
  const aborted = channel.send("dropped", { signal: controller.signal });
  const after = channel.send("after");
  const reason = new Error("caller gave up");
  controller.abort(reason);
  await assert.rejects(aborted, (error) => error === reason);
  assert.equal(await channel.receive(), "kept");
  await after;
  assert.equal(await channel.receive(), "after", "the aborted value never entered the buffer");
  assert.deepEqual(channel.tryReceive(), { ok: false });
});

Deno.test("Channel aborting a blocked receive rejects with the reason and loses no value", async () => {
  const channel = new Channel<string>(2);
  const controller = new AbortController();
  const aborted = channel.receive({ signal: controller.signal });
  const next = channel.receive();
  const reason = new Error("receiver gave up");
  controller.abort(reason);
  await assert.rejects(aborted, (error) => error === reason);
  assert.equal(channel.trySend("first"), true);
  assert.equal(await next, "first", "the value went to the receiver still waiting");

  const lonely = new AbortController();
  const gone = channel.receive({ signal: lonely.signal });
  lonely.abort(reason);
  await assert.rejects(gone, (error) => error === reason);
  assert.equal(channel.trySend("second"), true);
  assert.equal(channel.size, 1, "with nobody waiting the value stays buffered");
  assert.equal(await channel.receive(), "second");
});

Deno.test("Channel operations with an already-aborted signal take and send nothing", async () => {
  const channel = new Channel<number>(1);
  await channel.send(1);
  const reason = new Error("already aborted");
  const signal = AbortSignal.abort(reason);
  await assert.rejects(channel.receive({ signal }), (error) => error === reason);
  assert.equal(channel.size, 1);
  assert.equal(await channel.receive(), 1);
  await assert.rejects(channel.send(2, { signal }), (error) => error === reason);
  assert.equal(channel.size, 0);
});

Deno.test("Channel handles a long stream through a small buffer without loss", async () => {
  const channel = new Channel<number>(4);
  const count = 10_000;
  const producer = (async () => {
    for (let i = 0; i < count; i++) await channel.send(i);
    channel.close();
  })();
  let expected = 0;
  for await (const value of channel) {
    assert.equal(value, expected);
    expected++;
  }
  await producer;
  assert.equal(expected, count);
});
