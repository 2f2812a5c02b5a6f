/**
 * The `LISTEN/NOTIFY` channels instances sharing a PostgreSQL database talk through:
 *
 * - `constellation_cluster`: an instance joined, left or released a tenant, so every other one
 *   looks at placement again now instead of at its next pass;
 * - `constellation_inbox`: an instance recorded a webhook update in the inbox of a tenant it
 *   does not run; the payload is the tenant id, and its owner queues the update.
 *
 * Notifications are a shortcut, not a guarantee (one sent while a listener reconnects is lost):
 * the lease keeper's periodic pass and the owner's periodic inbox sweep find the same work.
 * @module
 */
import type { PostgresDatabase } from "./postgres.ts";

const CLUSTER_CHANNEL = "constellation_cluster";
const INBOX_CHANNEL = "constellation_inbox";

/** Both channels as one instance uses them. */
export function clusterChannels(db: PostgresDatabase, instanceId: string) {
  return {
    changes: {
      notify: () => db.notify(CLUSTER_CHANNEL, instanceId),
      // An instance's own notices tell it nothing new.
      listen: (onChange: () => void) =>
        db.listen(CLUSTER_CHANNEL, (from) => {
          if (from !== instanceId) onChange();
        }),
    },
    inbox: {
      notify: (tenantId: string) => db.notify(INBOX_CHANNEL, tenantId),
      listen: (onTenant: (tenantId: string) => void) => db.listen(INBOX_CHANNEL, onTenant),
    },
  };
}
