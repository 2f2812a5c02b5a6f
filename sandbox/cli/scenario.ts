/**
 * What the standalone sandbox starts with: options, bots and users, from a JSON scenario file
 * and/or command-line flags. Flags add to the file's lists; `--port` overrides the file's port.
 * The scenario format is documented in sandbox/README.md ("Scenario file").
 *
 * Flags: `--port N`, `--scenario FILE`, `--bot TOKEN[@username]` or `--bot @username`,
 * `--test-bot …` (same, on the test environment), `--user Name[:stars]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeScenarios, parseArgs, parseScenario } from "./scenario.ts";
 *
 * const { scenarioFile, scenario: flags } = parseArgs(
 *   ["--scenario", "shop.json", "--port", "8081", "--bot", "@shop_bot", "--user", "Ann:100"],
 * );
 * assert.equal(scenarioFile, "shop.json");
 * assert.deepEqual(flags.bots, [{ username: "shop_bot" }]);
 * assert.deepEqual(flags.users, [{ firstName: "Ann", stars: 100 }]);
 *
 * const file = parseScenario({ port: 9000, users: [{ firstName: "Boris", languageCode: "ru" }] });
 * const merged = mergeScenarios(file, flags); // lists add up, flags win
 * assert.equal(merged.port, 8081);
 * assert.deepEqual(merged.users.map((user) => user.firstName), ["Boris", "Ann"]);
 * assert.throws(() => parseScenario({ users: [{ stars: 5 }] }), /firstName/);
 * ```
 * @module
 */

import { z } from "zod";

const botSchema = z.object({
  token: z.string().optional(),
  username: z.string().optional(),
  firstName: z.string().optional(),
  testEnvironment: z.boolean().optional(),
}).strict();

const userSchema = z.object({
  id: z.number().int().positive().optional(),
  firstName: z.string().min(1),
  lastName: z.string().optional(),
  username: z.string().optional(),
  languageCode: z.string().optional(),
  isPremium: z.boolean().optional(),
  stars: z.number().int().nonnegative().optional(),
}).strict();

const scenarioSchema = z.object({
  port: z.number().int().min(0).max(65_535).optional(),
  preCheckoutTimeoutMs: z.number().int().positive().optional(),
  bots: z.array(botSchema).default([]),
  users: z.array(userSchema).default([]),
}).strict();

/** A validated scenario. */
export type Scenario = z.infer<typeof scenarioSchema>;

/** Validates scenario JSON, naming the first offending field. */
export function parseScenario(raw: unknown, source = "scenario"): Scenario {
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${source}: ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  return result.data;
}

function botFromFlag(value: string, testEnvironment: boolean): z.infer<typeof botSchema> {
  const [token, username] = value.startsWith("@") ? ["", value.slice(1)] : value.split("@");
  return {
    ...(token ? { token } : {}),
    ...(username ? { username } : {}),
    ...(testEnvironment ? { testEnvironment } : {}),
  };
}

function userFromFlag(value: string): z.infer<typeof userSchema> {
  const [firstName, stars] = value.split(":");
  if (stars !== undefined && !/^\d+$/.test(stars)) {
    throw new Error(`--user ${value}: stars after ":" must be a whole number`);
  }
  return { firstName, ...(stars !== undefined ? { stars: Number(stars) } : {}) };
}

/** Reads command-line flags; the scenario file named by `--scenario` is merged by the caller. */
export function parseArgs(args: string[]): { scenarioFile?: string; scenario: Scenario } {
  const scenario: Scenario = { bots: [], users: [] };
  let scenarioFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === "--port") scenario.port = parseScenario({ port: Number(value) }, flag).port;
    else if (flag === "--scenario") scenarioFile = value;
    else if (flag === "--bot") scenario.bots.push(botFromFlag(value, false));
    else if (flag === "--test-bot") scenario.bots.push(botFromFlag(value, true));
    else if (flag === "--user") scenario.users.push(userFromFlag(value));
    else throw new Error(`unknown flag ${flag}; see sandbox/README.md`);
  }
  return { scenarioFile, scenario };
}

/** Combines a scenario file with flags: lists are concatenated, flag options win. */
export function mergeScenarios(file: Scenario, flags: Scenario): Scenario {
  return {
    port: flags.port ?? file.port,
    preCheckoutTimeoutMs: flags.preCheckoutTimeoutMs ?? file.preCheckoutTimeoutMs,
    bots: [...file.bots, ...flags.bots],
    users: [...file.users, ...flags.users],
  };
}
