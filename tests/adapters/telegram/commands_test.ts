import { assertEquals } from "../../support/assert.ts";
import {
  adminCommands,
  commandRegistrations,
  userCommands,
} from "../../../adapters/telegram/commands.ts";
import { Texts } from "../../../adapters/telegram/texts.ts";
import { ADMIN_ID, startHarness } from "./handlers/harness.ts";

const USER_COMMANDS = [
  "start",
  "stars",
  "balance",
  "history",
  "purchases",
  "subscriptions",
  "paysupport",
  "terms",
];

const ADMIN_COMMANDS = [
  "refund",
  "transactions",
  "revenue",
  "reconcile",
  "subscribers",
  "user",
];

Deno.test("the user menu has every user command, worded per locale", () => {
  const texts = new Texts({ ru: { "command.terms": "Правила" } }, "en");
  assertEquals(userCommands.map((c) => c.command), USER_COMMANDS);
  const [, english, russian] = commandRegistrations(texts, []);
  assertEquals(english.options.language_code, "en");
  assertEquals(english.commands[1], { command: "stars", description: "Balance, shop and history" });
  assertEquals(russian.commands.at(-1), { command: "terms", description: "Правила" });
  assertEquals(adminCommands.map((c) => c.command), ADMIN_COMMANDS);
});

Deno.test("registrations: default scope per locale, then each admin's chat with theirs", () => {
  const texts = new Texts({}, "ru");
  const registrations = commandRegistrations(texts, [11, 22]);
  assertEquals(registrations.map((r) => r.options), [
    { scope: { type: "default" } },
    { scope: { type: "default" }, language_code: "en" },
    { scope: { type: "default" }, language_code: "ru" },
    { scope: { type: "chat", chat_id: 11 } },
    { scope: { type: "chat", chat_id: 11 }, language_code: "en" },
    { scope: { type: "chat", chat_id: 11 }, language_code: "ru" },
    { scope: { type: "chat", chat_id: 22 } },
    { scope: { type: "chat", chat_id: 22 }, language_code: "en" },
    { scope: { type: "chat", chat_id: 22 }, language_code: "ru" },
  ]);
  // Without a language: the tenant's locale.
  assertEquals(registrations[0].commands[0].description, "Запустить бота");
  assertEquals(registrations[1].commands[0].description, "Start the bot");
  assertEquals(registrations[0].commands.map((c) => c.command), USER_COMMANDS);
  assertEquals(registrations[3].commands.map((c) => c.command), [
    ...USER_COMMANDS,
    ...ADMIN_COMMANDS,
  ]);
  assertEquals(registrations[4].commands.at(-1), {
    command: "user",
    description: "A user's payments (admins)",
  });
  assertEquals(registrations[5].commands.at(-5), {
    command: "transactions",
    description: "Транзакции Telegram Stars (для администраторов)",
  });
  assertEquals(commandRegistrations(texts, []).length, 3);
});

Deno.test("the command menu calls register the menus users see in Telegram", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru-RU" });
  const jan = h.user({ firstName: "Jan", languageCode: "de" });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "ru" });
  assertEquals(h.config.admins, [ADMIN_ID]);
  const names = (commands: { command: string }[]) => commands.map((c) => c.command);
  assertEquals(names(h.account.commandsFor(ann)), USER_COMMANDS);
  assertEquals(h.account.commandsFor(olga)[0].description, "Запустить бота");
  assertEquals(h.account.commandsFor(jan)[0].description, "Start the bot");
  assertEquals(names(h.account.commandsFor(admin)), [...USER_COMMANDS, ...ADMIN_COMMANDS]);
  assertEquals(h.account.commandsFor(admin)[0].description, "Запустить бота");
});
