import { configure, getLogger, type LogRecord, reset } from "@logtape/logtape";
import type { BotSubscriptionUpdated } from "grammy/types";
import { assertEquals, assertTrue } from "../support/assert.ts";
import {
  issue,
  OTHER_USER,
  outboxRows,
  type PaymentFixture,
  paymentFixture,
  paymentMessage,
  START,
  USER,
} from "./payment_fixture.ts";
import { PaymentService } from "../../actors/payments.ts";

const DAY = 86_400_000;
const LOG_CATEGORY = ["test-subscription-updates"];

/** The fixture, with its service logging to `logs` (rendered as `level: message`). */
async function setup() {
  const f = await paymentFixture();
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record) => records.push(record) },
    loggers: [
      { category: LOG_CATEGORY, sinks: ["memory"], lowestLevel: "info" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
    ],
  });
  const service = new PaymentService({
    tenant: f.tenant,
    db: f.db,
    clock: f.clock,
    ledger: f.ledger,
    outbox: f.outbox,
    api: f.api,
    texts: (await import("../../adapters/telegram/texts.ts")).Texts.prototype.constructor
      .call(undefined) as never,
  });
  return { f, service, records };
}
