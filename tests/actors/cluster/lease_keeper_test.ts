import { assertEquals } from "../../support/assert.ts";
import { LeaseKeeper, type LeaseTable } from "../../../actors/cluster/lease_keeper.ts";
import type { TenantLease } from "../../../actors/cluster/tenant_lease.ts";
import { desiredOwner } from "../../../actors/cluster/rendezvous.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import type { AcquiredLease, HeldLease } from "../../../adapters/storage/postgres/leases.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** The lease table in memory, shared by the "instances" of a test; `down` makes it fail. */
class FakeTable {
  leases = new Map<string, { owner: string | null; epoch: number }>();
  live = new Set<string>();
  down = false;
  /** Leases a dead former owner's open transaction keeps locked, by tenant: its owner. */
  locked = new Map<string, string>();

  as(instanceId: string): LeaseTable {
    const check = () => {
      if (this.down) throw new Error("database unreachable");
    };
    return {
      instanceId,
      heartbeat: () => (check(), this.live.add(instanceId), Promise.resolve()),
      liveInstances: () => (check(), Promise.resolve([...this.live].sort())),
      leave: () => (check(), this.live.delete(instanceId), Promise.resolve()),
      acquire: (tenantId: string): Promise<AcquiredLease | undefined> => {
        check();
        if (this.locked.has(tenantId)) return Promise.resolve(undefined);
        const lease = this.leases.get(tenantId) ?? { owner: null, epoch: 0 };
        if (lease.owner !== null && lease.owner !== instanceId) return Promise.resolve(undefined);
        const previousOwner = lease.owner;
        this.leases.set(tenantId, { owner: instanceId, epoch: lease.epoch + 1 });
        return Promise.resolve({ tenantId, epoch: lease.epoch + 1, previousOwner });
      },
      endStragglers: (tenantId: string) => {
        check();
        const owner = this.locked.get(tenantId);
        if (owner === undefined) return Promise.resolve(undefined);
        this.locked.delete(tenantId);
        return Promise.resolve({ owner, ended: 1 });
      },
      renew: (held: readonly HeldLease[]) => {
        check();
        const still = held.filter((h) => {
          const lease = this.leases.get(h.tenantId);
          return lease?.owner === instanceId && lease.epoch === h.epoch;
        });
        return Promise.resolve(new Set(still.map((h) => h.tenantId)));
      },
      release: (lease: HeldLease) => {
        check();
        const row = this.leases.get(lease.tenantId);
        if (row?.owner !== instanceId || row.epoch !== lease.epoch) return Promise.resolve(false);
        row.owner = null;
        return Promise.resolve(true);
      },
      all: () =>
        Promise.resolve(
          [...this.leases].map(([tenantId, l]) => ({ tenantId, ...l, live: l.owner !== null })),
        ),
      holds: () => Promise.resolve(true),
      holdsTogether: () => Promise.resolve(true),
    };
  }
}

/** A keeper whose tenants "run" in `running`, with hooks recording what happened. */
function keeper(table: FakeTable, id: string, clock: ManualClock, tenants: string[]) {
  const running = new Set<string>();
  const events: string[] = [];
  const leases = new Map<string, TenantLease>();
  const k = new LeaseKeeper({
    leases: table.as(id),
    timings: { ttlMs: 15_000, renewMs: 5_000 },
    clock,
    monotonic: () => clock.now(),
    logger: silent,
    hooks: {
      tenants: () => tenants,
      acquired: (lease) => {
        running.add(lease.tenantId);
        leases.set(lease.tenantId, lease);
        events.push(`start ${lease.tenantId}@${lease.epoch}`);
        return Promise.resolve();
      },
      handOver: (tenantId) => {
        running.delete(tenantId);
        events.push(`hand over ${tenantId}`);
        return Promise.resolve();
      },
      lost: (tenantId, reason) => {
        running.delete(tenantId);
        events.push(`lost ${tenantId}: ${reason}`);
      },
    },
  });
  return { k, running, events, leases };
}

const TENANTS = ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"];

Deno.test("alone, an instance acquires every tenant; a second one takes its share by handover", async () => {
  const clock = new ManualClock(0);
  const table = new FakeTable();
  const a = keeper(table, "a", clock, TENANTS);
  await a.k.start();
  assertEquals([...a.running].sort(), TENANTS);

  const b = keeper(table, "b", clock, TENANTS);
  await b.k.start();
  a.k.poke(); // what b's NOTIFY does
  await clock.advance(0);
  const mine = (who: string) => TENANTS.filter((t) => desiredOwner(t, ["a", "b"]) === who);
  assertEquals([...a.running].sort(), mine("a"));
  // b takes the released ones at its next pass (or at once, on a's NOTIFY).
  await clock.advance(5_000);
  assertEquals([...b.running].sort(), mine("b"));
  for (const tenant of mine("b")) assertEquals(table.leases.get(tenant), { owner: "b", epoch: 2 });
  await b.k.leave();
  await a.k.leave();
});

Deno.test("with the database unreachable, the leases lapse by the local clock and the tenants stop", async () => {
  const clock = new ManualClock(0);
  const table = new FakeTable();
  const a = keeper(table, "a", clock, ["t1"]);
  await a.k.start();
  assertEquals([...a.running], ["t1"]);
  table.down = true;
  await clock.advance(11_999); // renewals fail; the deadline is 15 s − 3 s after the last one sent
  assertEquals([...a.running], ["t1"]);
  assertEquals(a.leases.get("t1")!.heldLocally(), true);
  await clock.advance(1);
  assertEquals([...a.running], []);
  assertEquals(a.leases.get("t1")!.heldLocally(), false);
  assertEquals(a.events.at(-1), "lost t1: not renewed within 15 s");
  // Back: the lease is acquired again, with the next epoch.
  table.down = false;
  table.leases.get("t1")!.owner = null; // expired in the database meanwhile
  await clock.advance(5_000);
  assertEquals(a.events.at(-1), "start t1@2");
  await a.k.leave();
});

Deno.test("a lease another instance took is lost at the next renewal", async () => {
  const clock = new ManualClock(0);
  const table = new FakeTable();
  const a = keeper(table, "a", clock, ["t1"]);
  await a.k.start();
  table.leases.set("t1", { owner: "z", epoch: 2 });
  await clock.advance(5_000);
  assertEquals(a.events, ["start t1@1", "lost t1: another instance holds it now"]);
  assertEquals(a.leases.get("t1")!.signal.aborted, true);
  await a.k.leave();
});

Deno.test("leaving releases every lease, so the others take the tenants at once", async () => {
  const clock = new ManualClock(0);
  const table = new FakeTable();
  const a = keeper(table, "a", clock, ["t1", "t2"]);
  await a.k.start();
  a.k.stopAcquiring();
  await a.k.leave();
  assertEquals([...table.leases.values()].map((l) => l.owner), [null, null]);
  assertEquals(table.live.has("a"), false);
});

Deno.test("a lease a dead owner's open transaction keeps locked is taken in the same pass once that is ended", async () => {
  const clock = new ManualClock(0);
  const table = new FakeTable();
  table.leases.set("t1", { owner: "dead", epoch: 4 });
  table.locked.set("t1", "dead");
  table.leases.get("t1")!.owner = null; // expired, as the database sees it
  const a = keeper(table, "a", clock, ["t1"]);
  await a.k.start();
  assertEquals(a.events, ["start t1@5"]);
  assertEquals(table.locked.size, 0);
  await a.k.leave();
});
