import assert from "node:assert/strict";
import { ManualClock } from "../../../../actors/kernel/clock.ts";
import {
  CHART_TENANTS,
  fleetChart,
  fleetRows,
} from "../../../../adapters/http/console/fleet_data.ts";
import { LogTail } from "../../../../adapters/observability/log_tail.ts";
import { openDatabase } from "../../../../adapters/storage/open_database.ts";
import type { TenantReport } from "../../../../adapters/http/runtime_view.ts";

const DAY = 86_400_000;
const NOW = 20_000 * DAY + 12 * 3_600_000;

Deno.test("fleet rows join the runtime's reports with earnings, activity and dead letters", async () => {
  const db = await openDatabase("sqlite::memory:");
  try {
    const ids = Array.from(
      { length: CHART_TENANTS + 2 },
      (_, i) => `bot${String(i).padStart(2, "0")}`,
    );
    const reports: TenantReport[] = ids.map((id) => ({
      id,
      enabled: true,
      state: id === "bot00" ? "failed" : "running",
      updates: "polling",
      restarts: 0,
      ...(id === "bot00" && { lastError: "getMe: 401 for bot123:SECRET" }),
    }));
    for (const [i, id] of ids.entries()) {
      await db.run(
        `INSERT INTO payments (tenant_id, charge_id, user_id, product_id, amount, kind, paid_at)
         VALUES (?, ?, 7, 'p', ?, 'credits', ?)`,
        [id, `ch_${id}`, 10 * (i + 1), NOW - DAY],
      );
    }
    await db.run(
      `INSERT INTO inbox (tenant_id, update_id, user_id, payload, received_at)
       VALUES ('bot01', 1, 7, '{}', ?)`,
      [NOW - 1_000],
    );
    const sources = {
      runtime: { tenants: () => reports, draining: () => false },
      deadLetters: {
        deadLetters: () =>
          Promise.resolve([{
            tenantId: "bot02",
            updateId: 1,
            kind: "message",
            movesMoney: false,
            attempts: 3,
            error: "x",
            deadAt: 0,
          }]),
        retryDeadLetter: () => Promise.resolve("not_found" as const),
        discardDeadLetter: () => Promise.resolve(false),
      },
      operator: {
        refund: (_: string, chargeId: string) =>
          Promise.resolve({ kind: "not_running" as const, chargeId }),
        starsBalance: () => Promise.resolve({ error: "off" }),
        tenantSummary: () => undefined,
        outboxBacklog: (id: string) => Promise.resolve(id === "bot00" ? undefined : 0),
      },
      db,
      logs: new LogTail(),
      clock: new ManualClock(NOW),
      redact: (text: string) => text.replace("bot123:SECRET", "<redacted>"),
    };
    const rows = await fleetRows(sources);
    assert.equal(rows.length, ids.length);
    assert.deepEqual(rows[0], {
      id: "bot00",
      state: "failed",
      updates: "polling",
      owner: null,
      updatesPerMinute: 0,
      today: 0,
      week: 10,
      month: 10,
      refunds: 0,
      outbox: null,
      deadLetters: 0,
      lastError: "getMe: 401 for <redacted>",
    });
    assert.equal(rows[1].updatesPerMinute, 1);
    assert.equal(rows[2].deadLetters, 1);

    // The chart: the best earners apart, the rest summed as "others".
    const chart = await fleetChart(sources, rows);
    assert.equal(chart.days.length, 30);
    assert.deepEqual(chart.series.map((one) => one.tenantId), [
      "bot09",
      "bot08",
      "bot07",
      "bot06",
      "bot05",
      "bot04",
      "bot03",
      "bot02",
      "others",
    ]);
    const yesterday = chart.days.length - 2;
    assert.equal(chart.series.at(-1)!.stars[yesterday], 10 + 20, "bot00 and bot01");
    assert.equal(chart.series[0].stars[yesterday], 100);
  } finally {
    await db.close();
  }
});
