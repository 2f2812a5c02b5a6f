import assert from "node:assert/strict";
import { z } from "zod";
import {
  describeIssues,
  describeValue,
  formatPath,
  maskTokens,
  SHOW_INPUT,
} from "../../config/plain_issues.ts";

Deno.test("formatPath writes paths as JavaScript would", () => {
  assert.equal(formatPath(["products", 1, "price"]), "products[1].price");
  assert.equal(formatPath(["texts", "en", "menu.title"]), 'texts.en["menu.title"]');
  assert.equal(formatPath([0, "id"]), "[0].id");
  assert.equal(formatPath([]), "");
});

Deno.test("describeIssues appends the offending value to built-in checks", () => {
  const schema = z.object({
    price: z.int({ error: "expected an integer ≥ 1" }).min(1, { error: "expected an integer ≥ 1" }),
    title: z.string().max(3, { error: "expected at most 3 characters" }),
    name: z.string({ error: "expected a string" }),
  });
  const input = { price: 0, title: "abcd" };
  const issues = describeIssues(schema.safeParse(input).error!, input);
  assert.deepEqual(issues, [
    { path: "price", message: "expected an integer ≥ 1, got 0" },
    { path: "title", message: 'expected at most 3 characters, got "abcd" (4 characters)' },
    { path: "name", message: "expected a string, got nothing (the field is missing)" },
  ]);
});

Deno.test("describeIssues shows the value of a refinement only when asked to", () => {
  const schema = z.object({
    shown: z.string().refine((s) => s === "ok", { error: "expected ok", params: SHOW_INPUT }),
    complete: z.string().refine((s) => s === "ok", { error: "must be ok, see docs" }),
  });
  const input = { shown: "no", complete: "no" };
  assert.deepEqual(describeIssues(schema.safeParse(input).error!, input), [
    { path: "shown", message: 'expected ok, got "no"' },
    { path: "complete", message: "must be ok, see docs" },
  ]);
});

Deno.test("describeIssues puts a single unknown key in the path", () => {
  const schema = z.strictObject({ a: z.object({ b: z.number() }).strict() });
  const input = { a: { b: 1, c: 2 }, d: 3, e: 4 };
  const paths = describeIssues(schema.safeParse(input).error!, input).map((issue) => issue.path);
  assert.deepEqual(paths.sort(), ["", "a.c"]);
});

Deno.test("describeIssues never shows secret values", () => {
  const schema = z.object({ token: z.string().min(50, { error: "expected a longer token" }) });
  const input = { token: "hunter2" };
  const [issue] = describeIssues(schema.safeParse(input).error!, input, {
    isSecret: (path) => path === "token",
  });
  assert.equal(
    issue.message,
    "expected a longer token, got a text (not shown because it is a secret)",
  );
});

Deno.test("describeValue masks token-shaped text and shortens long text", () => {
  const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
  assert.equal(describeValue(`https://x/bot${token}`, false), '"https://x/bot<token>"');
  assert.equal(maskTokens(token), "<token>");
  assert.equal(describeValue("x".repeat(100), false), `"${"x".repeat(30)}…" (100 characters)`);
  assert.equal(describeValue([1, 2], false), "a list of 2 items");
  assert.equal(describeValue({}, false), "an object");
  assert.equal(describeValue(7, true), "a number");
});
