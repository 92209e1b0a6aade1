// Time for one company contact change to reach every connected Linkus client on 8111:
//   npx tsx bench/linkus-fanout.ts
// Needs Java 17 (DynamoDB Local). Environment: BENCH_CLIENTS (10000), BENCH_SESSIONS (10),
// BENCH_CHANGES (5), BENCH_PARALLEL (64 connections opening at a time).
//
// This process runs DynamoDB Local, the local API and the listener (in-process, production
// timings: feeds polled every 500 ms). A child process (bench/support/fanout-clients.ts) opens
// BENCH_CLIENTS `ws` clients on loopback to one tenant, authenticated with BENCH_SESSIONS login
// sessions (logins cost a scrypt each; the fan-out does not depend on how many there are).
// Then, BENCH_CHANGES times, one company contact change is appended to the tenant's "contacts"
// feed with `appendChanges` (as the contacts API does), and each client's arrival time is
// recorded. Latency is measured from the moment `appendChanges` returned (the change is
// committed); it includes the wait for the next feed poll (0–500 ms) and the time to write the
// frame to every socket. Both processes read the same clock (performance.timeOrigin + now()).
//
// File descriptors: each side holds one socket per client; the clients live in the child so the
// listener's process needs ~BENCH_CLIENTS descriptors and the child as many (`ulimit -n` here is
// 20000 soft and hard).
import "./support/env.js";
import { fork } from "node:child_process";
import { cpus } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startDynamo } from "./support/env.js";
import { percentile } from "./support/phases.js";
import { cpuMeter, formatCores, retainedMemory } from "./support/proc.js";
import { cleanups, runBench } from "./support/run.js";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10_000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 5);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 64);

type ChildMessage =
  | { type: "progress"; ready: number; seconds: number; errors: number; lastError: string }
  | {
      type: "connected";
      open: number;
      seconds: number;
      errors: number;
      lastError: string;
      closes: Record<string, number>;
    }
  | { type: "received"; sequence: number; times: (number | null)[]; missing: number };

const ms = (value: number) => `${value.toFixed(0)} ms`;

async function main() {
  const started = Date.now();
  const stack = await startDynamo();
  cleanups.push(stack.stop);
  const { TestApi } = await import("../test/support/api.js");
  const { startListener } = await import("../listener/server.js");
  const { appendChanges } = await import("../layers/core/services/change-feed.js");
  const { defaultDeps } = await import("../layers/core/deps.js");
  const deps = defaultDeps();

  const api = await TestApi.start();
  cleanups.push(() => api.stop());
  const tenant = await api.createTenant();
  const tokens = [tenant.token];
  for (let i = 1; i < SESSIONS; i++) {
    tokens.push((await api.userWithRole(tenant, "none", String(2000 + i))).token);
  }
  const listener = await startListener({ host: "127.0.0.1", sipPort: 0, linkusPort: 0 });
  cleanups.push(() => listener.stop());
  console.log(`Machine: ${cpus().length} cores, Node ${process.version}; ${SESSIONS} sessions in ${tenant.slug}`);
  // Observe (not change) the hub's frame writes: when it started and finished writing each change.
  const hub = listener.hub as unknown as { sendRaw: (client: unknown, frame: string) => void };
  const sendRaw = hub.sendRaw.bind(hub);
  const writes = new Map<number, { first: number; last: number; count: number }>();
  hub.sendRaw = (client, frame) => {
    if (frame.startsWith('{"type":"change"')) {
      const sequence = Number(/"sequence":(\d+)/.exec(frame)?.[1]);
      const at = performance.timeOrigin + performance.now();
      const entry = writes.get(sequence) ?? { first: at, last: at, count: 0 };
      entry.last = at;
      entry.count++;
      writes.set(sequence, entry);
    }
    sendRaw(client, frame);
  };

  // The clients' process.
  const child = fork(fileURLToPath(new URL("./support/fanout-clients.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.connected) child.send({ type: "stop" });
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) resolve();
      else child.once("exit", () => resolve());
      setTimeout(() => {
        child.kill("SIGKILL");
        resolve();
      }, 5_000).unref();
    });
  });
  const messages: ChildMessage[] = [];
  const waiters: ((message: ChildMessage) => boolean)[] = [];
  child.on("message", (message: ChildMessage) => {
    if (message.type === "progress") {
      console.log(`  … ${message.ready} connected after ${message.seconds.toFixed(0)} s (${message.errors} errors)`);
      return;
    }
    const index = waiters.findIndex((waiter) => waiter(message));
    if (index >= 0) waiters.splice(index, 1);
    else messages.push(message);
  });
  const next = <T extends ChildMessage["type"]>(type: T, timeoutMs: number) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const queued = messages.findIndex((m) => m.type === type);
      if (queued >= 0) {
        resolve(messages.splice(queued, 1)[0] as Extract<ChildMessage, { type: T }>);
        return;
      }
      const timer = setTimeout(
        () => reject(new Error(`no ${type} from the clients within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiters.push((message) => {
        if (message.type !== type) return false;
        clearTimeout(timer);
        resolve(message as Extract<ChildMessage, { type: T }>);
        return true;
      });
    });

  const before = retainedMemory();
  const connectMeter = cpuMeter({ "DynamoDB Local": stack.dynamoPid, clients: child.pid });
  child.send({
    type: "connect",
    url: `ws://127.0.0.1:${listener.linkusPort}`,
    tokens,
    count: CLIENTS,
    parallel: PARALLEL,
  });
  const connected = await next("connected", 200_000);
  const connectCores = connectMeter();
  const hubClients = listener.hub.clientCount;
  console.log(
    `Connected ${connected.open}/${CLIENTS} clients in ${connected.seconds.toFixed(1)} s ` +
      `(${(connected.open / connected.seconds).toFixed(0)}/s; hub counts ${hubClients}; ` +
      `${connected.errors} errors${connected.lastError ? `, last: ${connected.lastError}` : ""}; ` +
      `closes ${JSON.stringify(connected.closes)}) [cores: ${formatCores(connectCores)}]`,
  );
  const after = retainedMemory();
  console.log(
    `Listener process with ${hubClients} clients: heap ${after.heapUsedMiB.toFixed(1)} MiB (+${(after.heapUsedMiB - before.heapUsedMiB).toFixed(1)}), ` +
      `rss ${after.rssMiB.toFixed(1)} MiB (+${(after.rssMiB - before.rssMiB).toFixed(1)})`,
  );
  if (connected.open === 0) throw new Error("No client connected");

  // Let the connect storm's last presence refreshes settle.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const all: number[] = [];
  const spreads: number[] = [];
  const firsts: number[] = [];
  const writeLoops: number[] = [];
  const stalls: number[] = [];
  let missingTotal = 0;
  for (let round = 1; round <= CHANGES; round++) {
    // Land at a random point of the 500 ms poll cycle.
    await new Promise((resolve) => setTimeout(resolve, 1_000 + Math.random() * 500));
    const head = (await import("../layers/core/services/change-feed.js")).readChanges;
    const latest = (await head(deps, tenant.id, "contacts", 0, 1)).latest;
    const sequence = latest + 1;
    child.send({ type: "expect", sequence, timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the child arms before the change exists
    const meter = cpuMeter({ clients: child.pid });
    // The longest the listener's event loop (SIP included) was held while this change went out.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const written = await appendChanges(
      deps,
      tenant.id,
      "contacts",
      [{ action: "updated", entity: "companyContact", id: `bench-${round}`, data: { name: `Contact ${round}` } }],
      [],
    );
    const committed = performance.timeOrigin + performance.now();
    if (written !== sequence) throw new Error(`expected sequence ${sequence}, the feed wrote ${written}`);
    const received = await next("received", 30_000);
    loopDelay.disable();
    const stall = loopDelay.max / 1e6;
    stalls.push(stall);
    const cores = meter();
    const latencies = received.times
      .filter((t): t is number => t !== null && Number.isFinite(t))
      .map((t) => t - committed)
      .sort((a, b) => a - b);
    all.push(...latencies);
    missingTotal += received.missing;
    const first = latencies[0] ?? Number.NaN;
    const last = latencies.at(-1) ?? Number.NaN;
    firsts.push(first);
    spreads.push(last - first);
    const write = writes.get(sequence);
    if (write) writeLoops.push(write.last - write.first);
    console.log(
      `  change ${round} (sequence ${sequence}): ${latencies.length} clients; first ${ms(first)}, ` +
        `p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(last)}; ` +
        `first→last ${ms(last - first)}; missing ${received.missing}; the hub wrote ${write?.count ?? 0} frames ` +
        `from ${ms((write?.first ?? Number.NaN) - committed)} to ${ms((write?.last ?? Number.NaN) - committed)}; ` +
        `longest event-loop stall ${ms(stall)} [cores: ${formatCores(cores)}]`,
    );
  }
  all.sort((a, b) => a - b);
  console.log("");
  console.log(
    `${CHANGES} changes × ${connected.open} clients, latency from commit to arrival: p50 ${ms(percentile(all, 50))}, ` +
      `p99 ${ms(percentile(all, 99))}, max ${ms(all.at(-1) ?? Number.NaN)}; ${missingTotal} arrivals missing`,
  );
  console.log(
    `  first arrival (≈ wait for the next 500 ms poll + one read): mean ${ms(firsts.reduce((a, b) => a + b, 0) / firsts.length)}; ` +
      `first→last arrival (the fan-out itself): mean ${ms(spreads.reduce((a, b) => a + b, 0) / spreads.length)}, ` +
      `max ${ms(Math.max(...spreads))}; the hub's write loop over all clients: mean ` +
      `${ms(writeLoops.reduce((a, b) => a + b, 0) / writeLoops.length)}; longest event-loop stall ` +
      `${ms(Math.max(...stalls))} (what a SIP request arriving meanwhile waits at most)`,
  );
  console.log(`Total bench time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

runBench(main);
