import { assertEquals, assertThrows, assertTrue } from "../../support/assert.ts";
import { SendPacer } from "../../../adapters/telegram/send_pacer.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";

/** Runs `work` to its end, moving the clock from timer to timer whenever it waits. */
async function onClock<T>(clock: ManualClock, work: Promise<T>): Promise<T> {
  let done = false;
  const finished = work.finally(() => (done = true));
  while (!done) {
    const next = clock.nextTimerAt();
    await clock.advance(next === undefined ? 0 : Math.max(0, next - clock.now()));
  }
  return await finished;
}

/** Takes slots one after another like one sender, recording when each was granted. */
function grantTimes(clock: ManualClock, pacer: SendPacer, chats: (number | null)[]) {
  return onClock(
    clock,
    (async () => {
      const times: number[] = [];
      for (const chat of chats) {
        await pacer.take(chat);
        times.push(clock.now());
      }
      return times;
    })(),
  );
}

/** The most grants that fall in any window of `windowMs` starting at a grant. */
function mostInWindow(times: number[], windowMs: number): number {
  return Math.max(...times.map((start) =>
    times.filter((t) => t >= start && t < start + windowMs)
      .length
  ));
}

Deno.test("one chat gets a burst of 3, then one message a second", async () => {
  const clock = new ManualClock(0);
  const times = await grantTimes(clock, new SendPacer({ clock }), [7, 7, 7, 7, 7]);
  // The burst is spaced only by the bot's own pace.
  assertEquals(times, [0, 36, 72, 1000, 2000]);
});

Deno.test("the bot's sends are evenly spaced under 30 a second, with no burst at the start", async () => {
  const clock = new ManualClock(0);
  const chats = Array.from({ length: 90 }, (_, i) => i);
  const times = await grantTimes(clock, new SendPacer({ clock }), chats);
  assertEquals(times.filter((t) => t < 1_000).length, 28, "the first second carries 28");
  assertEquals(mostInWindow(times, 1_000), 28);
  assertEquals(times.slice(0, 4), [0, 36, 72, 108]);
  assertEquals(times[28], 1_008);
});

Deno.test("calls to no chat count only against the bot", async () => {
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock, perBotPerSecond: 2 });
  const times = await grantTimes(clock, pacer, [null, null, null]);
  assertEquals(times, [0, 500, 1000]);
});

Deno.test("a group gets at most 20 messages a minute; a private chat is not limited so", async () => {
  const clock = new ManualClock(0);
  const group = await grantTimes(clock, new SendPacer({ clock }), Array(24).fill(-100));
  assertEquals(mostInWindow(group, 60_000), 20);
  assertEquals(group[19], 17_000, "after the burst, one a second");
  assertEquals(group.slice(20), [60_000, 60_036, 60_072, 61_000]);

  const clock2 = new ManualClock(0);
  const user = await grantTimes(clock2, new SendPacer({ clock: clock2 }), Array(24).fill(100));
  assertEquals(user[23], 21_000);
});

Deno.test("a 429 holds back its chat for retry_after, and only that chat", async () => {
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock });
  pacer.noteFlood(7, 5_000);
  assertEquals(pacer.holdOf(7), 5_000);
  assertEquals(pacer.holdOf(null), undefined, "one chat's 429 does not hold the bot");
  assertEquals(await grantTimes(clock, pacer, [8]), [0]);
  assertEquals(await grantTimes(clock, pacer, [7]), [5_000]);
});

Deno.test("429s on several chats at once hold the whole bot's proactive sends", async () => {
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock });
  pacer.noteFlood(7, 5_000);
  await clock.advance(1_000);
  pacer.noteFlood(8, 2_000);
  assertEquals(pacer.holdOf(null), 5_000, "until the last of the holds ends");
  assertEquals(pacer.readyAt(9), 5_000);
  assertEquals(await grantTimes(clock, pacer, [9]), [5_000]);
});

Deno.test("a 429 on a call to no chat holds the whole bot", async () => {
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock });
  pacer.noteFlood(null, 3_000);
  assertEquals(await grantTimes(clock, pacer, [9, null]), [3_000, 3_036]);
});

Deno.test("replies wait out only their own chat's hold, never pacing or the bot's hold", async () => {
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock });
  pacer.noteFlood(7, 4_000);
  pacer.noteFlood(8, 2_000); // two chats: the bot's proactive sends are held too
  const replies: string[] = [];
  const reply = (chat: number) => pacer.waitForChat(chat).then(() => replies.push(`${chat}`));
  // Many replies to one chat are not paced.
  await onClock(clock, Promise.all([reply(9), reply(9), reply(9), reply(9)]));
  assertEquals([replies.length, clock.now()], [4, 0]);
  await onClock(clock, reply(8));
  assertEquals(clock.now(), 2_000);
  await onClock(clock, reply(7));
  assertEquals(clock.now(), 4_000);
});

Deno.test("a hold that begins while a send waits for its turn comes first", async () => {
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock });
  const granted: number[] = [];
  const sends = Promise.all(
    [7, 7, 7, 7].map((chat) => pacer.take(chat).then(() => granted.push(clock.now()))),
  );
  await clock.advance(500); // the fourth waits for 1000
  pacer.noteFlood(7, 2_000);
  await clock.advance(3_000);
  await sends;
  assertEquals(granted, [0, 36, 72, 2_500]);
});

Deno.test("readyAt tells when a chat may send next, without taking a slot", async () => {
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock });
  await grantTimes(clock, pacer, [7, 7, 7]);
  assertEquals(pacer.readyAt(7), 1_000);
  assertTrue(pacer.readyAt(8) <= clock.now(), "a new chat may send now");
  assertEquals(pacer.readyAt(7), 1_000, "asking twice takes nothing");
});

Deno.test("idle chats are forgotten once many are tracked", async () => {
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock, perBotPerSecond: Infinity });
  await grantTimes(clock, pacer, Array.from({ length: 1_000 }, (_, chat) => chat));
  assertEquals(pacer.trackedChats, 1_000);
  await clock.advance(3_000);
  await grantTimes(clock, pacer, [5_000]);
  assertEquals(pacer.trackedChats, 1);
});

Deno.test("rates must be positive", () => {
  assertThrows(
    () => new SendPacer({ clock: new ManualClock(0), perChatBurst: 0 }),
    RangeError,
    "perChatBurst",
  );
});
