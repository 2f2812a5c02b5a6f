/**
 * `openDatabase` errors an operator can act on: each names `DATABASE_URL`, the file or server,
 * and what to do, and none passes on Deno's "run again with the --allow-all flag".
 */
import { explainSqliteError, openDatabase } from "../../../adapters/storage/open_database.ts";
import { StorageError } from "../../../money/ports.ts";
import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertTrue,
} from "../../support/assert.ts";

const rejects = (url: string) => assertRejects(() => openDatabase(url), StorageError);

Deno.test("a path through a file names the file that is not a folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/passwd`, "root:x:0:0");
    const { message } = await rejects(`sqlite:${dir}/passwd/x.db`);
    assertStringIncludes(message, `DATABASE_URL=sqlite:${dir}/passwd/x.db`);
    assertStringIncludes(message, `${dir}/passwd is a file, not a folder`);
    assertTrue(!message.includes("os error"), message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("/etc/passwd/x.db is refused with the reason, not 'File exists (os error 17)'", async () => {
  const { message } = await rejects("sqlite:/etc/passwd/x.db");
  assertStringIncludes(message, "DATABASE_URL=sqlite:/etc/passwd/x.db");
  assertStringIncludes(message, "/etc/passwd is a file, not a folder");
  assertStringIncludes(message, "sqlite:data/constellation.db");
});

Deno.test("a path under /proc or /sys says it is a kernel file system", async () => {
  for (
    const url of ["sqlite:/proc/constellation.db", "sqlite:/proc/self/x/y.db", "sqlite:/sys/a.db"]
  ) {
    const { message } = await rejects(url);
    assertStringIncludes(message, `DATABASE_URL=${url}`);
    assertStringIncludes(message, "a file system of the kernel");
    assertTrue(!message.includes("--allow-all"), message);
  }
});

Deno.test("with narrow Deno permissions, no --allow-all advice reaches the operator", async () => {
  const allowed = await Deno.makeTempDir();
  const outside = await Deno.makeTempDir();
  try {
    const script = `
      import { openDatabase } from "./adapters/storage/open_database.ts";
      for (const url of ["sqlite:/proc/x.db", "sqlite:${outside}/x.db"]) {
        try { await openDatabase(url); console.log("opened " + url); }
        catch (error) { console.log(error.message); }
      }`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", `--allow-write=${allowed}`, "--allow-env", "-"],
      cwd: new URL("../../../", import.meta.url).pathname,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const output = await child.output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assertTrue(!text.includes("--allow-all"), text);
    const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
    assertEquals(lines.length, 2, text);
    assertStringIncludes(lines[0], "kernel");
    assertStringIncludes(lines[1], `DATABASE_URL=sqlite:${outside}/x.db`);
    assertStringIncludes(lines[1], "not allowed to read and write");
  } finally {
    await Deno.remove(allowed, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("SQLite's 'attempt to write a readonly database' names the file, the folder and the fix", () => {
  // What node:sqlite throws on a file the process may not write (errcode 8, SQLITE_READONLY).
  const readonly = Object.assign(new Error("attempt to write a readonly database"), {
    code: "ERR_SQLITE_ERROR",
    errcode: 8,
  });
  const { message } = explainSqliteError("sqlite:data/c.db", "/srv/data/c.db", readonly);
  assertStringIncludes(message, "DATABASE_URL=sqlite:data/c.db");
  assertStringIncludes(message, "/srv/data/c.db");
  assertStringIncludes(message, "read-only");
  assertStringIncludes(message, "chown or chmod");
});

Deno.test({
  name: "a read-only database file is refused naming DATABASE_URL and the file",
  // root writes any file; the explanation itself is covered by the test above.
  ignore: Deno.uid() === 0,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const first = await openDatabase(`sqlite:${dir}/c.db`);
      await first.close();
      await Deno.chmod(`${dir}/c.db`, 0o444);
      await Deno.chmod(dir, 0o555);
      const { message } = await rejects(`sqlite:${dir}/c.db`);
      assertStringIncludes(message, `DATABASE_URL=sqlite:${dir}/c.db`);
      assertStringIncludes(message, "read-only");
    } finally {
      await Deno.chmod(dir, 0o755);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("mysql:// is refused listing sqlite: and postgres:// as the choices", async () => {
  const { message } = await rejects("mysql://bot:hunter2@db.example/constellation");
  assertStringIncludes(message, "DATABASE_URL starts with mysql:, which is not supported");
  assertStringIncludes(message, "sqlite:");
  assertStringIncludes(message, "postgres://");
  assertTrue(!message.includes("hunter2"), message);
  assertStringIncludes((await rejects("data/constellation.db")).message, "has no scheme");
});

Deno.test("a PostgreSQL server that refuses says where and what to do, without the password", async () => {
  const { message } = await rejects("postgres://bot:hunter2@127.0.0.1:1/constellation");
  assertStringIncludes(message, "DATABASE_URL (PostgreSQL at 127.0.0.1:1/constellation)");
  assertStringIncludes(message, "start PostgreSQL there, or fix the host and port");
  assertTrue(!message.includes("hunter2"), message);
});
