/**
 * `deno task validate [dir]`, run as an operator runs it: every problem with file and field,
 * exit 1 when there is any, 0 for a good folder (such as `config/examples`); no network.
 */
import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "../../support/assert.ts";

import { childDenoEnv } from "../../support/runtime_process.ts";
const root = new URL("../../../", import.meta.url);

async function validate(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    // Exactly the task's permissions: reading and the environment, no network.
    args: ["run", "--allow-read", "--allow-env", "adapters/config/validate_config.ts", ...args],
    cwd: root,
    clearEnv: true,
    env: { ...childDenoEnv(), ...env },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, text: decode(output.stdout) + decode(output.stderr) };
}

Deno.test("validate prints every problem with file and field and exits non-zero", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "tenants"));
  const write = (name: string, file: unknown) =>
    Deno.writeTextFile(join(dir, "tenants", name), JSON.stringify(file));
  await write("shop.json", {
    token: "env:SHOP_TOKEN",
    locale: "de",
    texts: { en: { "start.greting": "Hi" } },
  });
  await write("quiz.json", { token: "env:QUIZ_TOKEN", texts: { en: { "balance.text": "{x}" } } });
  await write("hook.json", { token: "env:HOOK_TOKEN", updates: "webhook" });
  await write("good.json", { token: "env:GOOD_TOKEN" });
  await Deno.writeTextFile(join(dir, "tenants", "broken.json"), "{");
  const { code, text } = await validate([dir], { ENV_FILE: "" });
  assertEquals(code, 1, text);
  for (
    const expected of [
      "broken.json: not valid JSON",
      "shop.json: locale: ",
      // Reported with the schema error of the same file: every problem at once.
      'shop.json: texts.en.start.greting: no such text (did you mean "start.greeting"?)',
      "quiz.json: texts.en.balance.text: unknown placeholder {x}",
      "hook.json: updates: ",
      "5 problem(s); 1 tenant file(s) valid",
    ]
  ) assertStringIncludes(text, expected);
  // Unset secrets are noted (the checking machine is not the one running the bots), not failed.
  assertStringIncludes(text, "note: GOOD_TOKEN is not set here");

  // With PUBLIC_URL set, the webhook tenant is fine; so is the typo, in a file otherwise valid.
  await write("shop.json", { token: "env:SHOP_TOKEN", texts: { en: { "start.greting": "Hi" } } });
  const again = await validate([dir], { ENV_FILE: "", PUBLIC_URL: "https://bots.example.org" });
  assertStringIncludes(
    again.text,
    'shop.json: texts.en.start.greting: no such text (did you mean "start.greeting"?)',
  );
  assertEquals(again.text.includes("hook.json"), false, again.text);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("validate passes on config/examples, a folder of tenant files", async () => {
  const { code, text } = await validate(["config/examples"], { ENV_FILE: "" });
  assertEquals(code, 0, text);
  assertStringIncludes(text, "config/examples: 1 tenant file(s) valid");
});
