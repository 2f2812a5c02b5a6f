/**
 * What the runtime logs as it applies a load of the tenant files: each refused file once, one
 * line per problem (never a literal `\n`), the literal-token warning on every load (hot reloads
 * too), and a "valid again" line when a refused file is fixed.
 */
import { reset } from "@logtape/logtape";
import { assertEquals } from "../../support/assert.ts";
import { Runtime } from "../../../actors/runtime/runtime.ts";
import { configureLogging, flushLogs } from "../../../adapters/observability/logging.ts";
import { SecretRedactor } from "../../../adapters/observability/redact.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { type ConfigProblem, parseTenant } from "../../../config/load_tenants.ts";

const source = "config/tenants/shop.json";

Deno.test("a reload logs each problem once per line, warnings again, and a fixed file", async () => {
  const lines: string[] = [];
  const db = await openDatabase("sqlite::memory:");
  try {
    await configureLogging({ level: "info", format: "json", write: (line) => lines.push(line) });
    // Disabled, so nothing connects anywhere; the literal token gives a warning.
    const parsed = parseTenant(
      { token: "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAA", enabled: false },
      { id: "shop", source, configDir: "config", env: () => undefined },
    );
    if (!parsed.ok) throw new Error("expected a valid tenant");
    assertEquals(parsed.warnings.length, 1);
    const runtime = await Runtime.start({ tenants: [], db, redactor: new SecretRedactor() });
    const problem: ConfigProblem = {
      file: source,
      message: "invalid tenant configuration (2 problems)",
      issues: [
        { path: "locale", message: 'expected "en" or "ru", got "de"' },
        { path: "admin", message: 'unknown field (did you mean "admins"?)' },
      ],
    };
    await runtime.reload({ tenants: [], problems: [problem], warnings: [] });
    await flushLogs();
    const refused = lines.map((line) => JSON.parse(line).message as string)
      .filter((message) => message.includes("refused"));
    assertEquals(refused, [
      'Config refused: config/tenants/shop.json: locale: expected "en" or "ru", got "de"',
      'Config refused: config/tenants/shop.json: admin: unknown field (did you mean "admins"?)',
    ]);

    lines.length = 0;
    await runtime.reload({ tenants: [parsed.tenant], problems: [], warnings: parsed.warnings });
    // A hot reload of the same file warns again about its literal token.
    await runtime.reload({ tenants: [parsed.tenant], problems: [], warnings: parsed.warnings });
    await flushLogs();
    const messages = lines.map((line) => JSON.parse(line).message as string);
    assertEquals(messages.filter((m) => m.includes("is valid again")), [
      "config/tenants/shop.json is valid again.",
    ]);
    assertEquals(messages.filter((m) => m.includes("written literally")).length, 2);
    assertEquals(lines.some((line) => line.includes("\\n")), false);
    await runtime.stop();
  } finally {
    await db.close();
    await reset();
  }
});
