import { assertEquals } from "../../support/assert.ts";
import { MessageBatch } from "../../../adapters/plugins/message_batch.ts";

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("what is pushed within a turn goes out in one batch, in order; the next turn in another", async () => {
  const sent: number[][] = [];
  const batch = new MessageBatch<number>((messages) => sent.push(messages));
  batch.push(1);
  await Promise.resolve(); // promises of the same turn still join the batch
  batch.push(2);
  assertEquals(sent, []);
  await turn();
  batch.push(3);
  await turn();
  assertEquals(sent, [[1, 2], [3]]);
});

Deno.test("a held batch keeps everything until released; a closed one sends nothing more", async () => {
  const sent: string[][] = [];
  const batch = new MessageBatch<string>((messages) => sent.push(messages), { held: true });
  batch.push("a");
  batch.push("b");
  await turn();
  assertEquals(sent, []);
  batch.release();
  assertEquals(sent, [["a", "b"]]);
  batch.push("c");
  batch.flush(); // at once, as for a heartbeat's answer
  assertEquals(sent, [["a", "b"], ["c"]]);
  batch.close();
  batch.push("d");
  await turn();
  assertEquals(sent, [["a", "b"], ["c"]]);
});
