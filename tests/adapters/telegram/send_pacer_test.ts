import { assertEquals, assertThrows } from "../../support/assert.ts";
import { SendPacer } from "../../../adapters/telegram/send_pacer.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";

/** Takes slots one after another like the outbox sender, recording when each was granted. */
async function grantTimes(clock: ManualClock, pacer: SendPacer, chats: (number | null)[]) {
  const times: number[] = [];
  const run = (async () => {
    for (const chat of chats) {
      await pacer.take(chat);
      times.push(clock.now());
    }
  })();
  while (times.length < chats.length) {
    await clock.advance(clock.nextTimerAt() === undefined ? 0 : clock.nextTimerAt()! - clock.now());
  }
  await run;
  return times;
}

Deno.test("one chat gets a burst of 3, then one message a second", async () => {
  const clock = new ManualClock(0);
  const times = await grantTimes(clock, new SendPacer({ clock }), [7, 7, 7, 7, 7]);
  assertEquals(times, [0, 0, 0, 1000, 2000]);
});

Deno.test("different chats share the bot's 30 a second", async () => {
  const clock = new ManualClock(0);
  const chats = Array.from({ length: 32 }, (_, i) => i);
  const times = await grantTimes(clock, new SendPacer({ clock }), chats);
  assertEquals(times.slice(0, 30), Array(30).fill(0));
  assertEquals(times.slice(30), [34, 67]);
});

Deno.test("calls to no chat count only against the bot", async () => {
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock, perBotPerSecond: 2 });
  const times = await grantTimes(clock, pacer, [null, null, null]);
  assertEquals(times, [0, 0, 500]);
});

Deno.test("idle chats are forgotten once many are tracked", async () => {
  const clock = new ManualClock(0);
  const pacer = new SendPacer({ clock, perBotPerSecond: 1e6 });
  for (let chat = 0; chat < 1_000; chat++) await pacer.take(chat);
  assertEquals(pacer.trackedChats, 1_000);
  await clock.advance(3_000);
  await pacer.take(5_000);
  assertEquals(pacer.trackedChats, 1);
});

Deno.test("rates must be positive", () => {
  assertThrows(
    () => new SendPacer({ clock: new ManualClock(0), perChatBurst: 0 }),
    RangeError,
    "perChatBurst",
  );
});
