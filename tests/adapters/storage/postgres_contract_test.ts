// The Database contract (tests/money/database.contract.ts) against the PostgreSQL adapter, opened
// the way the runtime opens it (openDatabase), each test on a database of its own in the shared
// throwaway server (tests/support/postgres_cluster.ts). A restart closes the pool and connects
// again. Skipped, with the reason printed, only where PostgreSQL is not installed outside CI.
import { databaseContract } from "../../money/database.contract.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { freshPostgresDatabase, postgresIgnored } from "../../support/postgres_cluster.ts";

databaseContract("postgres", async () => {
  const fresh = await freshPostgresDatabase("contract");
  return {
    db: await openDatabase(fresh.url),
    reopen: () => openDatabase(fresh.url),
    dispose: () => fresh.drop(),
  };
}, { restarts: true, ignore: postgresIgnored });
