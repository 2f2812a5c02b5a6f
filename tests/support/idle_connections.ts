/**
 * A hostile client: opens many connections to an HTTP port on 127.0.0.1 and holds them without
 * finishing a request — most send nothing, one in four sends half its headers, one in four its
 * headers and half a body. It runs as a process of its own, under the highest open-files limit
 * the machine allows it, so its thousands of sockets count against neither the test runner's
 * limit nor the runtime's.
 *
 * @example
 * ```ts ignore
 * await using flood = await IdleConnections.open(port, 2_000);
 * flood.opened; // connections established (the server may close some at once)
 * ```
 * @module
 */

/** A running flood; disposing it closes every connection and ends the process. */
export class IdleConnections implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  /** How many connections were established; fewer than asked when the port closed. */
  readonly opened: number;

  private constructor(child: Deno.ChildProcess, opened: number) {
    this.#child = child;
    this.opened = opened;
  }

  /** Opens `count` connections to `127.0.0.1:port`; resolves once they are all open. */
  static async open(port: number, count: number): Promise<IdleConnections> {
    const script = new URL(import.meta.url).pathname;
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        // Raise the soft limit as far as the hard one allows; no privilege is needed for that.
        `ulimit -Sn "$(ulimit -Hn)" && exec "$0" "$@"`,
        Deno.execPath(),
        "run",
        "--allow-net=127.0.0.1",
        "--allow-read=/proc/self/limits",
        script,
        String(port),
        String(count),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { done, value } = await lines.read();
      if (done) break;
      text += value;
    }
    lines.releaseLock();
    const match = /^opened (\d+)/.exec(text);
    if (!match) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`the flood of connections did not start: ${text.trim() || "no output"}`);
    }
    return new IdleConnections(child, Number(match[1]));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#child.stdin.close().catch(() => {});
    await this.#child.stdout.cancel().catch(() => {});
    await this.#child.status;
  }
}

/** In the flood process: open, report, hold until stdin closes. */
async function flood(port: number, count: number): Promise<void> {
  const limits = await Deno.readTextFile("/proc/self/limits").catch(() => "");
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Infinity);
  if (soft < count + 64) {
    console.log(`cannot open ${count} connections: this machine allows ${soft} open files`);
    return;
  }
  const encoder = new TextEncoder();
  const halves = [
    "",
    "POST /telegram/shop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
    "POST /telegram/shop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
    'Content-Length: 1000\r\n\r\n{"update_id":',
  ];
  const connections: Deno.TcpConn[] = [];
  for (let i = 0; i < count; i++) {
    let connection: Deno.TcpConn;
    try {
      connection = await Deno.connect({ hostname: "127.0.0.1", port });
    } catch {
      continue; // the port closed: the server is down, which the test will see
    }
    connections.push(connection);
    const half = halves[i % 4 === 0 ? 1 : i % 4 === 1 ? 2 : 0];
    // A server that closed the connection already makes the write fail: that is its right.
    if (half) await connection.write(encoder.encode(half)).catch(() => 0);
  }
  console.log(`opened ${connections.length}`);
  // Held until the test closes stdin.
  for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
  for (const connection of connections) {
    try {
      connection.close();
    } catch {
      // Closed by the server already.
    }
  }
}

if (import.meta.main) await flood(Number(Deno.args[0]), Number(Deno.args[1]));
