/**
 * Headless Chromium for the browser tests, driven by `playwright-core` (npm; it downloads no
 * browser): the Debian package `chromium` (`.ci/run` installs it when missing) or the binary
 * `CHROMIUM_PATH` names. Without one, the browser tests are skipped with a message — except
 * under `CI=true`, where they fail, so a CI machine without Chromium cannot pass them silently.
 *
 * @module
 */
import type { Browser } from "playwright-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium"];

/** The Chromium binary to use, or undefined when there is none. */
export function chromiumPath(): string | undefined {
  const named = Deno.env.get("CHROMIUM_PATH");
  for (const path of named ? [named] : CANDIDATES) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not there; try the next
    }
  }
  return undefined;
}

/** Whether the browser tests are skipped here (no Chromium, not in CI); says why once. */
export function browserTestsIgnored(): boolean {
  if (chromiumPath() !== undefined || Deno.env.get("CI") === "true") return false;
  console.warn(
    "browser tests skipped: no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)",
  );
  return true;
}

/** Starts headless Chromium; throws, saying how to install it, when there is none. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) {
    throw new Error(
      "no Chromium for the browser tests: apt-get install -y chromium (or set CHROMIUM_PATH)",
    );
  }
  // playwright-core asks, as it loads, whether it runs under WSL by looking into /proc, which
  // Deno opens only to --allow-all (the test task grants less): that probe is turned into a
  // function that is never called (it only decides how to open URLs on a desktop). Hence the
  // import here, after the variable is set, rather than at the top of the file.
  Deno.env.set("__IS_WSL_TEST__", "1");
  const { chromium } = await import("playwright-core");
  return await chromium.launch({
    executablePath,
    headless: true,
    // Root in a container has no user namespace for Chromium's sandbox; the pages are our own.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    timeout: 30_000,
  });
}

/** Where the browser tests keep their screenshots (git-ignored). */
export const SCREENSHOTS = new URL("../../test-screenshots/", import.meta.url);
