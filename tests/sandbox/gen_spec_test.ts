import assert from "node:assert/strict";
import { BOT_API_METHODS, BOT_API_VERSION } from "../../sandbox/bot_api_spec.ts";
import { parseSpec, renderTable } from "../../sandbox/gen_spec.ts";

const FIXTURE = {
  version: "Bot API 0.1",
  release_date: "Jan 1, 2000",
  methods: {
    sendThing: {
      name: "sendThing",
      fields: [
        { name: "chat_id", types: ["Integer", "String"], required: true, description: "" },
        { name: "note", types: ["String"], required: false, description: "" },
      ],
    },
    getThing: { name: "getThing" },
  },
};

Deno.test("the generator renders an importable table with required flags and types", async () => {
  const source = renderTable(parseSpec(FIXTURE), "fixture.json");
  assert.match(source, /^\/\/ deno-fmt-ignore-file\n/);
  assert.match(source, /GENERATED from fixture\.json \(Bot API 0\.1, Jan 1, 2000\)/);
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, source);
    const table = await import(`file://${file}`);
    assert.equal(table.BOT_API_VERSION, "Bot API 0.1");
    assert.deepEqual(table.BOT_API_METHODS, {
      getThing: {},
      sendThing: {
        chat_id: { required: true, types: ["Integer", "String"] },
        note: { required: false, types: ["String"] },
      },
    });
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("the generator refuses a spec whose shape it does not know", () => {
  assert.throws(() => parseSpec({ version: "x", release_date: "y" }), /`methods` is not an object/);
  assert.throws(
    () => parseSpec({ ...FIXTURE, methods: { a: { name: "b" } } }),
    /method key a has name b/,
  );
  assert.throws(
    () =>
      parseSpec({
        ...FIXTURE,
        methods: { a: { name: "a", fields: [{ name: "x", required: true }] } },
      }),
    /a\.x has no list of type names/,
  );
});

Deno.test("the committed table covers Bot API 10.1 payments as the sandbox relies on them", () => {
  assert.equal(BOT_API_VERSION, "Bot API 10.1");
  assert.equal(Object.keys(BOT_API_METHODS).length, 180);
  assert.deepEqual(BOT_API_METHODS.refundStarPayment, {
    user_id: { required: true, types: ["Integer"] },
    telegram_payment_charge_id: { required: true, types: ["String"] },
  });
  assert.equal(BOT_API_METHODS.createInvoiceLink.subscription_period.required, false);
  assert.equal(BOT_API_METHODS.sendInvoice.subscription_period, undefined);
});
