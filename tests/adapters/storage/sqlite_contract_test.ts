// The Database contract (tests/money/database.contract.ts) against the SQLite adapter, opened
// the way the runtime opens it (openDatabase): in memory, and as a file in a temporary folder,
// which also runs the tests that restart the store.
import { databaseContract } from "../../money/database.contract.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";

databaseContract("sqlite :memory:", async () => ({ db: await openDatabase("sqlite::memory:") }));

databaseContract("sqlite file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "constellation-contract-" });
  const url = `sqlite:${dir}/contract.db`;
  return {
    db: await openDatabase(url),
    reopen: () => openDatabase(url),
    dispose: () => Deno.remove(dir, { recursive: true }),
  };
}, { restarts: true });
