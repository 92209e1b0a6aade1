// A listener task's memory with 100,000 registrations held in its binding cache, alone in its
// process (no local API, unlike bench/sip-memory.ts):  npx tsx bench/listener-rss.ts
// Environment: BENCH_HELD (100000), BENCH_TENANTS (10), BENCH_PHONES (3 per extension).
//
// The bindings are written to DynamoDB Local in the store's own item format (BatchWriteItem),
// then read into the listener's binding cache exactly as each extension's first REGISTER on
// this task would (`bindings.list`, one Query per extension, 8 at a time). Memory is read after
// a full GC: before the listener starts, with it idle, and with every binding held.
import "./support/env.js";
import { startDynamo } from "./support/env.js";
import { retainedMemory } from "./support/proc.js";
import { cleanups, runBench } from "./support/run.js";

const HELD = Number(process.env.BENCH_HELD ?? 100_000);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 10);
const PHONES = Number(process.env.BENCH_PHONES ?? 3);

const show = (label: string, m: ReturnType<typeof retainedMemory>) =>
  console.log(
    `  ${label.padEnd(44)} heap ${m.heapUsedMiB.toFixed(1).padStart(7)} MiB (of ${m.heapTotalMiB.toFixed(0)})  external ${m.externalMiB.toFixed(1).padStart(6)} MiB  rss ${m.rssMiB.toFixed(1).padStart(7)} MiB`,
  );

async function main() {
  const stack = await startDynamo();
  cleanups.push(stack.stop);
  const { defaultDeps } = await import("../layers/core/deps.js");
  const { BatchWriteCommand } = await import("@aws-sdk/lib-dynamodb");
  const { BindingStore } = await import("../listener/registrar/bindings.js");
  const { startListener } = await import("../listener/server.js");
  const deps = defaultDeps();
  console.log(`Node ${process.version}; ${HELD} bindings over ${TENANTS} tenants, ${PHONES} per extension`);
  show("0. modules loaded, no listener", retainedMemory());
  const listener = await startListener({ host: "127.0.0.1", sipPort: 0, linkusPort: 0, deps });
  cleanups.push(() => listener.stop());
  show("1. listener started, idle", retainedMemory());

  const store = new BindingStore(deps);
  const itemOf = (store as unknown as { itemOf: (binding: unknown) => Record<string, unknown> }).itemOf.bind(store);
  const binding = (index: number) => {
    const host = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
    return {
      tenantId: `bench-tenant-${Math.floor((index * TENANTS) / HELD)}`,
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
  const writeStart = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (;;) {
        const from = next;
        next += 25;
        if (from >= HELD) return;
        const items = Array.from({ length: Math.min(25, HELD - from) }, (_, k) => itemOf(binding(from + k)));
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
  console.log(`     wrote ${HELD} bindings in ${((Date.now() - writeStart) / 1000).toFixed(0)} s`);
  const extensions = new Map<string, { tenantId: string; extensionId: string }>();
  for (let index = 0; index < HELD; index++) {
    const b = binding(index);
    extensions.set(`${b.tenantId}/${b.extensionId}`, b);
  }
  const queue = [...extensions.values()];
  const loadStart = Date.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let item = queue.pop(); item; item = queue.pop())
        await listener.bindings.list(item.tenantId, item.extensionId);
    }),
  );
  console.log(
    `     read ${extensions.size} extensions' bindings into memory in ${((Date.now() - loadStart) / 1000).toFixed(0)} s`,
  );
  extensions.clear();
  queue.length = 0;
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  show(`2. ${listener.bindings.size} bindings held in memory`, retainedMemory());
  // A task keeps running: what its memory settles to once the loading burst's garbage is returned.
  await new Promise((resolve) => setTimeout(resolve, 20_000));
  show("3. the same, 20 s later", retainedMemory());
}

runBench(main, 600_000);
