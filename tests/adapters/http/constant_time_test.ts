import { assertEquals } from "../../support/assert.ts";
import { constantTimeEqual } from "../../../adapters/http/constant_time.ts";

Deno.test("equal strings compare equal", () => {
  assertEquals(constantTimeEqual("hook_secret", "hook_secret"), true);
  assertEquals(constantTimeEqual("", ""), true);
  assertEquals(constantTimeEqual("пароль⭐", "пароль⭐"), true);
});

Deno.test("a difference anywhere makes them unequal", () => {
  assertEquals(constantTimeEqual("hook_secret", "Hook_secret"), false);
  assertEquals(constantTimeEqual("hook_secret", "hook_sEcret"), false);
  assertEquals(constantTimeEqual("hook_secret", "hook_secreT"), false);
});

Deno.test("a prefix, an extension or an empty string is unequal", () => {
  assertEquals(constantTimeEqual("hook_secret", "hook"), false);
  assertEquals(constantTimeEqual("hook", "hook_secret"), false);
  assertEquals(constantTimeEqual("", "hook_secret"), false);
  assertEquals(constantTimeEqual("hook_secret", ""), false);
});

Deno.test("trailing NUL bytes do not pass for missing ones", () => {
  // Past the shorter input the loop compares against 0: only the length check tells these apart.
  assertEquals(constantTimeEqual("abc\0", "abc"), false);
  assertEquals(constantTimeEqual("abc", "abc\0\0"), false);
});

Deno.test("strings are compared as UTF-8 bytes, not UTF-16 units", () => {
  // "é" precomposed (U+00E9) and decomposed ("e" + U+0301) look alike but are different bytes.
  assertEquals(constantTimeEqual("caf\u00e9", "cafe\u0301"), false);
  assertEquals(constantTimeEqual("⭐", "⭑"), false);
});
