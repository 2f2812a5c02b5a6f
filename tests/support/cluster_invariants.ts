/**
 * The invariants every cluster test ends with, read from the sandbox (what Telegram saw) and the
 * database (what the instances recorded):
 *
 * - **never two overlapping pollers** for a token: the sandbox counted no poll overlap;
 * - **every charge credited exactly once**: each charge Telegram made has one payment row and one
 *   ledger deposit, and there is no other, and the bots' Stars add up;
 * - **no update lost**: every update Telegram created for a bot was confirmed by a getUpdates and
 *   is in the inbox, handled.
 *
 * Ownership after a disruption is checked where it happens ({@linkcode assertReownedWithin}).
 *
 * @example
 * ```ts ignore
 * await stream.stop();
 * await assertClusterInvariants(cluster, stream);
 * ```
 * @module
 */
import type { SqlValue } from "../../money/ports.ts";
import type { SandboxBot } from "../../sandbox/mod.ts";
import { assertEquals, assertTrue } from "./assert.ts";
import {
  type ClusterDeployment,
  LEASE_RENEW_MS,
  LEASE_TTL_MS,
  type LeaseRecord,
} from "./cluster_deployment.ts";
import type { PurchaseStream } from "./cluster_shoppers.ts";
import { PROCESS_WAIT_MS } from "./deployment.ts";
import { CREDITS_100 } from "./shop_products.ts";
import { waitUntil } from "./wait.ts";

/** What the database holds of one tenant, for the invariants. */
interface TenantRecords {
  /** Update ids in the inbox, handled or not. */
  inbox: Map<number, boolean>;
  /** Charge ids with a payment row. */
  payments: string[];
  /** Idempotency keys of deposits. */
  deposits: string[];
}

async function records(cluster: ClusterDeployment, tenant: string): Promise<TenantRecords> {
  return await cluster.database.query(async (q) => {
    const inbox = await q.all<Record<string, SqlValue>>(
      "SELECT update_id, done_at FROM inbox WHERE tenant_id = ?",
      [tenant],
    );
    const payments = await q.all<{ charge_id: string }>(
      "SELECT charge_id FROM payments WHERE tenant_id = ? ORDER BY charge_id",
      [tenant],
    );
    const deposits = await q.all<{ idempotency_key: string }>(
      `SELECT idempotency_key FROM ledger_entries WHERE tenant_id = ? AND kind = 'deposit'
       ORDER BY idempotency_key`,
      [tenant],
    );
    return {
      inbox: new Map(inbox.map((row) => [Number(row.update_id), row.done_at !== null])),
      payments: payments.map((row) => row.charge_id),
      deposits: deposits.map((row) => row.idempotency_key),
    };
  });
}

/**
 * The getUpdates calls around each one that an overlap ended with 409 (calls are recorded as they
 * end, so the one that ended it is near), for a failure message.
 */
function overlapContext(bot: SandboxBot): string {
  const polls = bot.callsTo("getUpdates");
  const lines: string[] = [];
  polls.forEach((call, i) => {
    if (call.error?.error_code !== 409) return;
    for (const near of polls.slice(Math.max(0, i - 3), i + 4)) {
      const mark = near === call ? "409 <-" : near.ok ? "ok" : String(near.error?.error_code);
      lines.push(
        `  started ${new Date(near.at).toISOString()} ${JSON.stringify(near.params)} ${mark}`,
      );
    }
    lines.push("  …");
  });
  return lines.join("\n");
}

/** Update ids 1..last that are not in `inbox` handled. */
function unhandled(inbox: Map<number, boolean>, last: number): number[] {
  const missing: number[] = [];
  for (let id = 1; id <= last; id++) if (inbox.get(id) !== true) missing.push(id);
  return missing;
}

/**
 * Waits for the instances to finish what was sent before the stream stopped (every update
 * confirmed and handled, every charge recorded), then asserts the invariants of the module
 * documentation. Call it with the stream stopped.
 */
export async function assertClusterInvariants(
  cluster: ClusterDeployment,
  stream: PurchaseStream,
): Promise<void> {
  for (const [tenant, bot] of cluster.bots) {
    assertEquals(
      bot.pollOverlaps,
      0,
      `@${bot.username} was polled by two instances at once:\n${overlapContext(bot)}`,
    );
    const charges = stream.paid(tenant).map((p) => p.chargeId!).sort();
    let last: TenantRecords | undefined;
    try {
      await waitUntil(`${tenant}'s updates handled and charges recorded`, async () => {
        last = await records(cluster, tenant);
        return bot.pendingUpdateCount === 0 &&
          unhandled(last.inbox, bot.lastUpdateId).length === 0 &&
          last.payments.length >= charges.length;
      }, PROCESS_WAIT_MS);
    } catch (error) {
      const missing = last ? unhandled(last.inbox, bot.lastUpdateId) : "?";
      throw new Error(
        `${(error as Error).message}: ${bot.pendingUpdateCount} unconfirmed at the sandbox, ` +
          `updates not handled: ${missing}, payments ${last?.payments.length} of ${charges.length}` +
          `\n${cluster.logs(40)}`,
        { cause: error },
      );
    }
    const { payments, deposits, inbox } = last!;
    assertEquals(payments, charges, `${tenant}: one payment row per charge, and no other`);
    assertEquals(
      deposits,
      charges.map((charge) => `payment:${charge}`).sort(),
      `${tenant}: one deposit per charge, and no other`,
    );
    assertEquals(bot.starBalance, charges.length * CREDITS_100.price, `${tenant}: Stars earned`);
    assertEquals(inbox.size, bot.lastUpdateId, `${tenant}: the inbox holds no unknown update`);
    // The charges were not too few to mean anything: the stream ran on every tenant.
    assertTrue(charges.length > 0, `${tenant}: no purchase was paid at all`);
  }
}

/** How a lease changed hands, as `constellation_lease_acquisitions_total` counts it. */
export type AcquisitionKind = "fresh" | "handover" | "failover";

/** What {@linkcode assertReownedWithin} expects besides the placement. */
export interface Reowned {
  /** How the new owners must have counted the acquisition; not checked when absent. */
  kind?: AcquisitionKind;
  /** The longest a tenant may have been without an owner: TTL + one renewal interval. */
  boundMs?: number;
}

/**
 * Waits until `tenants` run where the placement of `survivors` puts them, and asserts that each
 * one's lease was acquired within `boundMs` of `disruptedAt` (`Date.now()`, the database's clock
 * being this machine's), or before it, and counted by its new owner as an acquisition of `kind`.
 * Returns the slowest delay.
 */
export async function assertReownedWithin(
  cluster: ClusterDeployment,
  survivors: readonly string[],
  tenants: readonly string[],
  disruptedAt: number,
  { kind, boundMs = LEASE_TTL_MS + LEASE_RENEW_MS }: Reowned = {},
): Promise<number> {
  await cluster.waitPlaced(survivors);
  const leases = await cluster.leases();
  let slowest = 0;
  for (const tenant of tenants) {
    const lease: LeaseRecord | undefined = leases.get(tenant);
    const placement = cluster.placement(survivors);
    assertEquals(cluster.nameOf(lease?.owner ?? null), placement.get(tenant), `${tenant}'s owner`);
    const delay = (lease?.acquiredAtMs ?? Infinity) - disruptedAt;
    slowest = Math.max(slowest, delay);
    assertTrue(
      delay <= boundMs,
      `${tenant} owned again ${delay} ms after the disruption, over the ${boundMs} ms bound`,
    );
    if (kind === undefined) continue;
    const owner = placement.get(tenant)!;
    const counted = await cluster.metric(owner, "constellation_lease_acquisitions_total", {
      tenant,
      kind,
    });
    assertTrue(counted >= 1, `${owner} counted no ${kind} acquisition of ${tenant}`);
  }
  return slowest;
}
