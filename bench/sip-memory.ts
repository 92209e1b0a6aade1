// The listener's memory with 100,000 registrations held:
//   npx tsx bench/sip-memory.ts
// Needs sipp (Debian `sip-tester`) and Java 17 (DynamoDB Local). Environment: BENCH_HELD (100000),
// BENCH_USERS (1000), BENCH_TENANTS (10).
//
// The listener keeps registrations in DynamoDB, not in its memory; what a registration leaves in
// the process is a Contact → flow entry (for requests to NATed phones), the nonce count of the
// exchange (300 s) and credential-cache entries (2 s, pruned every 30 s). So the bench measures
// this process (the in-process listener plus the idle local API) after a full GC at each stage:
//   1. after provisioning BENCH_USERS extensions (3 phones allowed each) and registering each
//      once through sipp (the warm-up), idle;
//   2. after 2 × BENCH_USERS more registrations through the real path: sipp over UDP → listener
//      (parser, digest, nonces, directory, registrar, BindingStore) → DynamoDB Local, every
//      phone with its own Contact address;
//   3. after the table holds BENCH_HELD registrations: the rest are written in bulk in the
//      listener's own item format (BindingStore's `itemOf`, BatchWriteItem rather than the
//      conditional PutItem, which DynamoDB Local here does at ~400/s), spread over
//      BENCH_TENANTS tenants; the listener does not load them, so this should not move;
//   4. while a Linkus client is connected to the first tenant: presence lists every
//      registration of the tenant for the snapshot on connect, then polls every 2 s (re-listing
//      only when the registration epoch moves) — peak heap sampled, listings counted.
import "./support/env.js";
import { registerScenario } from "../test/listener/support/sipp.js";
import { startDynamo } from "./support/env.js";
import { type MemorySnapshot, retainedMemory, rssMiB } from "./support/proc.js";
import { cleanups, runBench } from "./support/run.js";
import { runLoad } from "./support/sipp-load.js";

const HELD = Number(process.env.BENCH_HELD ?? 100_000);
const USERS = Number(process.env.BENCH_USERS ?? 1000);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 10);
const PHONES = 3;

const mib = (value: number | undefined) => (value === undefined ? "?" : `${value.toFixed(1)} MiB`);

function show(label: string, snapshot: MemorySnapshot, extra = "") {
  console.log(
    `  ${label.padEnd(52)} heap ${mib(snapshot.heapUsedMiB).padStart(10)}  rss ${mib(snapshot.rssMiB).padStart(10)}` +
      `  external ${mib(snapshot.externalMiB).padStart(9)}${extra}`,
  );
}

async function main() {
  const started = Date.now();
  const stack = await startDynamo();
  cleanups.push(stack.stop);
  const { provisionTenant } = await import("./support/provision.js");
  const { startListener } = await import("../listener/server.js");
  const { BindingStore } = await import("../listener/registrar/bindings.js");
  const { defaultDeps } = await import("../layers/core/deps.js");
  const { BatchWriteCommand } = await import("@aws-sdk/lib-dynamodb");
  const { default: WebSocket } = await import("ws");
  const deps = defaultDeps();

  const { api, tenant, users } = await provisionTenant(USERS, { concurrentRegistrations: PHONES });
  cleanups.push(() => api.stop());
  const listener = await startListener({ host: "127.0.0.1", sipPort: 0, linkusPort: 0 });
  cleanups.push(() => listener.stop());
  // What the listener's 30 s housekeeping does, now (session caches are dropped after 2 s).
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    listener.directory.prune();
    listener.sip.prune();
    return retainedMemory();
  };
  const structures = () => ` [bindings in memory ${listener.bindings.size}]`;
  console.log(`Machine: ${(await import("node:os")).cpus().length} cores, Node ${process.version}`);
  console.log(`Provisioned ${USERS} extensions (limit ${PHONES} phones each) in ${tenant.slug}`);

  // Warm the registration path (JIT, SDK, caches) with one registration per user, then measure from there.
  // Field 4 is the Contact's host: every phone of every user has its own address, as real phones do.
  const rowsFor = (round: number) =>
    users.map((u, i) => [u.registrationName, tenant.slug, u.auth, "3600", `10.${round}.${i >> 8}.${i & 255}`]);
  // Each round registers every user once from a new sipp port (a new contact: one more phone).
  // A round's stragglers are tolerated (sipp aborts an exchange when a late retransmitted 401
  // of its first REGISTER arrives while it waits for the 200, which happens while cold): the
  // registrations actually stored are counted from the results.
  const scenario = registerScenario(200).replaceAll(
    "Contact: <sip:[field0]@[local_ip]:[local_port]>",
    "Contact: <sip:[field0]@[field4]:5060>",
  );
  if (scenario.includes("[local_port]>")) throw new Error("registerScenario changed: update the Contact rewrite");
  const register = async (round: number, concurrency: number) => {
    const label = `phone ${round}`;
    const rows = rowsFor(round);
    const result = await runLoad({
      label,
      remotePort: listener.sipPort,
      scenario,
      rows,
      concurrency,
      seconds: 60,
      calls: rows.length,
    });
    if (result.successful < rows.length * 0.95) {
      throw new Error(`${label}: ${result.successful}/${rows.length} registered\n${result.errors}`);
    }
    return result.successful;
  };
  let realCount = await register(1, 4);
  const idle = await settle();
  show(`1. ${realCount} registrations (warm-up), idle`, idle, structures());

  const before = Date.now();
  const real = (await register(2, 16)) + (await register(3, 16));
  realCount += real;
  const afterReal = await settle();
  show(`2. + ${real} through sipp → listener → DynamoDB`, afterReal, structures());
  const perRegistration = ((afterReal.heapUsedMiB - idle.heapUsedMiB) * 1024 * 1024) / real;
  console.log(
    `     ${real} registrations in ${((Date.now() - before) / 1000).toFixed(1)} s; retained heap per registration ` +
      `≈ ${perRegistration.toFixed(0)} bytes (noisy at this count)`,
  );

  // 3. Bulk: fill the table up to HELD registrations, in BindingStore's item format.
  const store = new BindingStore(deps);
  const itemOf = (store as unknown as { itemOf: (binding: unknown) => Record<string, unknown> }).itemOf.bind(store);
  const bulk = Math.max(0, HELD - realCount);
  const tenantIds = [tenant.id, ...Array.from({ length: TENANTS - 1 }, (_, i) => `bench-tenant-${i}`)];
  const perTenant = Math.ceil(HELD / TENANTS);
  const bulkStart = Date.now();
  let next = 0;
  const binding = (index: number) => {
    // Fill the first tenant up to perTenant (it already holds the real ones), then the others.
    const slot = index + realCount;
    const tenantId = tenantIds[Math.min(TENANTS - 1, Math.floor(slot / perTenant))] ?? tenant.id;
    const host = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
    return {
      tenantId,
      extensionId: `01BENCHEXT${String(Math.floor(index / PHONES)).padStart(16, "0")}`,
      bindingId: `p${(index % PHONES) + 1}`,
      kind: "phone",
      contact: `sip:${10_000 + (index % 90_000)}@${host}:5060`,
      flow: { transport: "udp", address: host, port: 5060 },
      callId: `${index.toString(16).padStart(8, "0")}-5f0e8a1c2b3d4e5f@${host}`,
      cseq: 2,
      expiresAtMs: Date.now() + 3_600_000,
      userAgent: "Yealink SIP-T46U 108.86.0.45",
      taskId: "benchtask",
    };
  };
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (;;) {
        const from = next;
        next += 25;
        if (from >= bulk) return;
        const items = Array.from({ length: Math.min(25, bulk - from) }, (_, k) => itemOf(binding(from + k)));
        let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = {
          [deps.config.tableName]: items.map((Item) => ({ PutRequest: { Item } })),
        };
        while (request && Object.keys(request).length > 0) {
          const result = await deps.db.send(new BatchWriteCommand({ RequestItems: request }));
          request = result.UnprocessedItems as typeof request;
        }
      }
    }),
  );
  const itemBytes = JSON.stringify(itemOf(binding(0))).length;
  console.log(
    `     wrote ${bulk} more in ${((Date.now() - bulkStart) / 1000).toFixed(0)} s: ${HELD} held over ${TENANTS} tenants ` +
      `(${perTenant} in ${tenant.slug}); one item ≈ ${itemBytes} bytes of JSON`,
  );
  const held = await settle();
  show(`3. ${HELD} registrations held in DynamoDB`, held, structures());

  // 3b. The same registrations in the listener's memory: each extension's bindings read into the
  // binding cache exactly as its first REGISTER on this task would (one Query per extension).
  const loadStart = Date.now();
  const extensions = new Map<string, { tenantId: string; extensionId: string }>();
  for (let index = 0; index < bulk; index++) {
    const b = binding(index);
    extensions.set(`${b.tenantId}/${b.extensionId}`, { tenantId: b.tenantId, extensionId: b.extensionId });
  }
  const queue = [...extensions.values()];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let item = queue.pop(); item; item = queue.pop())
        await listener.bindings.list(item.tenantId, item.extensionId);
    }),
  );
  console.log(
    `     loaded ${extensions.size} extensions' bindings into memory in ${((Date.now() - loadStart) / 1000).toFixed(0)} s`,
  );
  const inMemory = await settle();
  show(`3b. ${listener.bindings.size} registrations held in the listener's memory`, inMemory, structures());

  // 4. Presence for one tenant with perTenant registrations: snapshot on connect, polls every 2 s.
  const listingsBefore = listener.hub.stats.registrationListings;
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 50);
  const presenceStart = Date.now();
  const ws = new WebSocket(`ws://127.0.0.1:${listener.linkusPort}/?token=${tenant.token}`);
  cleanups.push(async () => {
    ws.terminate();
  });
  const snapshotAt = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no presence snapshot within 60 s")), 60_000);
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type: string; snapshot?: boolean };
      if (frame.type === "presence" && frame.snapshot) {
        clearTimeout(timer);
        resolve(Date.now());
      }
    });
    ws.once("error", reject);
  });
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  clearInterval(sampler);
  const withClient = retainedMemory();
  show(`4. + a Linkus client on ${tenant.slug} (10 s of presence)`, withClient, structures());
  console.log(
    `     presence snapshot after ${((snapshotAt - presenceStart) / 1000).toFixed(1)} s; ` +
      `peak heap (not collected) ${mib(peak / 1024 / 1024)}; ` +
      `${listener.hub.stats.registrationListings - listingsBefore} full listings of the tenant's registrations in ~10 s`,
  );
  console.log(`  DynamoDB Local (JVM) rss ${mib(rssMiB(stack.dynamoPid))}`);
  console.log(`Total bench time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

runBench(main);
