/**
 * The sandbox's ceiling: a bare Bot API client (Deno's fetch, no framework, no storage) that
 * keeps `concurrency` sendMessage calls in flight until `count` are done, then prints
 * `{"perSecond": …}`. Run as a child process like the bots under test, it shows how many calls
 * the sandbox answers when nothing else is slow: the bots are measured well below that.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/sut/raw_client.ts http://127.0.0.1:8081 <token> '[5,6]' 20000 100
 * ```
 * @module
 */

const [apiRoot, token, chatsJson, countText, concurrencyText] = Deno.args;
const chats = JSON.parse(chatsJson ?? "[]") as number[];
const count = Number(countText);
const concurrency = Number(concurrencyText);
if (!apiRoot || !token || chats.length === 0 || !(count > 0) || !(concurrency > 0)) {
  throw new Error(
    "usage: raw_client.ts <apiRoot> <token> <chat ids as JSON> <count> <concurrency>",
  );
}

let next = 0;
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < count) {
    const chat = chats[next++ % chats.length];
    const response = await fetch(`${apiRoot}/bot${token}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chat_id: chat, text: "ceiling" }),
    });
    const body = await response.json();
    if (!body.ok) throw new Error(`sendMessage failed: ${body.description}`);
  }
}));
console.log(JSON.stringify({ perSecond: count / ((performance.now() - started) / 1000) }));
