// Authenticated REGISTER exchanges a second over UDP, cloud-pbx listener vs Kamailio, same run:
//   npx tsx bench/sip-register.ts
// Needs sipp (Debian `sip-tester`), Kamailio (Debian `kamailio`) and Java 17 (DynamoDB Local).
// Environment: BENCH_USERS (500), BENCH_STEP_SECONDS (4), BENCH_STEPS ("8,16,32,64,128").
//
// One tenant with BENCH_USERS extensions is provisioned (bench/support/provision.ts). Both
// servers get the same users and passwords (Kamailio: plaintext in an htable, config generated
// by bench/support/kamailio.ts) and the same sipp scenario (test/listener/support/sipp.ts):
// REGISTER → 401 (MD5 first) → REGISTER with an MD5 qop=auth digest → 200, Expires 3600, each
// user's Contact fixed (sipp keeps its port), so after the warm-up every exchange refreshes a
// binding. sipp runs closed-loop at each concurrency step for BENCH_STEP_SECONDS (5 × 4 s ≈ 20 s
// per server); the figure per server is its best step with no retransmission and no failure
// (successful exchanges per second). Then a challenge-only run (REGISTER → 401, c=32) shows the
// SIP front without storage. CPU per process is read from /proc during each step.
//
// Caveat printed at the end: both keep registrations in memory; the listener writes them behind to
// DynamoDB Local (a JVM on the same 2 cores). It also prints DynamoDB calls per refresh.
import "./support/env.js";
import { registerScenario } from "../test/listener/support/sipp.js";
import { startDynamo } from "./support/env.js";
import { KAMAILIO, startKamailio } from "./support/kamailio.js";
import { formatCores } from "./support/proc.js";
import { cleanups, runBench } from "./support/run.js";
import { challengeScenario, type LoadResult, runLoad } from "./support/sipp-load.js";

const USERS = Number(process.env.BENCH_USERS ?? 500);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 4);
const STEPS = (process.env.BENCH_STEPS ?? "8,16,32,64,128").split(",").map(Number);

function line(result: LoadResult): string {
  return (
    `  ${result.label.padEnd(24)} c=${String(result.concurrency).padStart(3)}  ` +
    `${result.rate.toFixed(0).padStart(6)}/s  ok ${String(result.successful).padStart(6)}  ` +
    `failed ${result.failed}  retrans ${result.retransmissions}  [cores: ${formatCores(result.cores)}]`
  );
}

function best(results: LoadResult[]): { result: LoadResult; clean: boolean } {
  const clean = results.filter((r) => r.failed === 0 && r.retransmissions === 0);
  const pool = clean.length > 0 ? clean : results;
  const result = pool.reduce((a, b) => (b.rate > a.rate ? b : a));
  return { result, clean: clean.length > 0 };
}

async function main() {
  if (!KAMAILIO) throw new Error("kamailio is not installed: apt-get install -y kamailio");
  const started = Date.now();
  const stack = await startDynamo();
  cleanups.push(stack.stop);
  const { provisionTenant } = await import("./support/provision.js");
  const { startListener } = await import("../listener/server.js");
  const { freePort } = await import("./support/env.js");

  const provisionStart = Date.now();
  const { api, tenant, users } = await provisionTenant(USERS);
  cleanups.push(() => api.stop());
  console.log(`Provisioned ${USERS} extensions in tenant ${tenant.slug} in ${(Date.now() - provisionStart) / 1000} s`);

  // Every DynamoDB request the listener makes is counted: the figure per refresh is the point.
  const { defaultDeps } = await import("../layers/core/deps.js");
  const deps = defaultDeps();
  let dynamoCalls = 0;
  const send = deps.db.send.bind(deps.db) as (...args: unknown[]) => Promise<unknown>;
  (deps.db as unknown as { send: typeof send }).send = (...args) => {
    dynamoCalls++;
    return send(...args);
  };
  const listener = await startListener({ host: "127.0.0.1", sipPort: 0, linkusPort: 0, deps });
  cleanups.push(() => listener.stop());
  const kamailio = await startKamailio({
    port: await freePort(),
    users: users.map((u) => ({ username: u.registrationName, password: u.password })),
  });
  cleanups.push(() => kamailio.stop());

  const rows = users.map((u) => [u.registrationName, tenant.slug, u.auth, "3600"]);
  const targets = [
    { name: "Kamailio", port: kamailio.port, localPort: await freePort(), pids: { kamailio: kamailio.pid } },
    {
      name: "cloud-pbx listener",
      port: listener.sipPort,
      localPort: await freePort(),
      pids: { "DynamoDB Local": stack.dynamoPid },
    },
  ];

  // Warm-up (not counted): JIT, caches, DynamoDB Local's JVM, and one binding per user (every
  // user's first REGISTER claims a slot in DynamoDB; what is measured after are refreshes).
  for (const target of targets) {
    const warm = await runLoad({
      label: `${target.name} warm-up`,
      remotePort: target.port,
      localPort: target.localPort,
      scenario: registerScenario(200),
      rows,
      concurrency: 16,
      seconds: 60,
      calls: USERS * 2,
      pids: target.pids,
    });
    console.log(line(warm));
  }

  const register: Record<string, LoadResult[]> = {};
  const callsPerExchange = new Map<LoadResult, number>();
  for (const target of targets) {
    register[target.name] = [];
    for (const concurrency of STEPS) {
      const callsBefore = dynamoCalls;
      const result = await runLoad({
        label: `${target.name} REGISTER`,
        remotePort: target.port,
        localPort: target.localPort,
        scenario: registerScenario(200),
        rows,
        concurrency,
        seconds: STEP_SECONDS,
        pids: target.pids,
      });
      register[target.name]?.push(result);
      callsPerExchange.set(result, (dynamoCalls - callsBefore) / Math.max(1, result.successful));
      console.log(line(result));
    }
  }

  const challenge: Record<string, LoadResult> = {};
  for (const target of targets) {
    const result = await runLoad({
      label: `${target.name} 401 only`,
      remotePort: target.port,
      localPort: target.localPort,
      scenario: challengeScenario(),
      rows,
      concurrency: 32,
      seconds: STEP_SECONDS,
      pids: target.pids,
    });
    challenge[target.name] = result;
    console.log(line(result));
  }

  const kam = best(register.Kamailio ?? []);
  const pbx = best(register["cloud-pbx listener"] ?? []);
  const mark = (b: { clean: boolean }) => (b.clean ? "" : " (every step had retransmissions or failures)");
  console.log("");
  console.log(`Machine: ${(await import("node:os")).cpus().length} cores, Node ${process.version}, ${USERS} users`);
  console.log(
    `Authenticated REGISTER exchanges/s (REGISTER, 401, REGISTER+MD5 digest, 200; best step without retransmissions):`,
  );
  // CPU per exchange: the server's cores over its rate (the listener's Node process also holds the idle local API).
  const perExchange = (result: LoadResult, name: string) =>
    `${(((result.cores[name] ?? 0) / result.rate) * 1000).toFixed(2)} ms CPU/exchange in ${name}`;
  console.log(
    `  Kamailio            ${kam.result.rate.toFixed(0)}/s at c=${kam.result.concurrency}${mark(kam)}; ` +
      perExchange(kam.result, "kamailio"),
  );
  console.log(
    `  cloud-pbx listener  ${pbx.result.rate.toFixed(0)}/s at c=${pbx.result.concurrency}${mark(pbx)}; ` +
      `${perExchange(pbx.result, "bench process (Node)")}, ${perExchange(pbx.result, "DynamoDB Local")}; ` +
      `${(callsPerExchange.get(pbx.result) ?? 0).toFixed(3)} DynamoDB calls per refresh`,
  );
  console.log(`  listener binding cache: ${JSON.stringify(listener.bindings.stats)}`);
  console.log(`  ratio Kamailio / listener = ${(kam.result.rate / pbx.result.rate).toFixed(1)}`);
  const kc = challenge.Kamailio;
  const pc = challenge["cloud-pbx listener"];
  if (kc && pc) {
    console.log(`Challenge only (REGISTER → 401, nothing stored), c=32:`);
    console.log(
      `  Kamailio ${kc.rate.toFixed(0)}/s, listener ${pc.rate.toFixed(0)}/s, ratio ${(kc.rate / pc.rate).toFixed(1)}; ` +
        `${perExchange(kc, "kamailio")}, ${perExchange(pc, "bench process (Node)")}`,
    );
  }
  console.log(
    "Caveat: both keep registrations in memory (Kamailio usrloc db_mode 0; the listener's binding cache, which\n" +
      "writes refreshes behind to DynamoDB Local only when a stored copy nears expiry, and caches credentials until\n" +
      "the tenant's directory version moves). Kamailio checks no registration limit and no nonce reuse. sipp shares the same cores.\n" +
      "Kamailio runs 2 UDP worker processes; the listener is one Node process.",
  );
  console.log(`Total bench time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

runBench(main);
