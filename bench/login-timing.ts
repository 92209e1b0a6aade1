import "./support/env.js";
import { TestApi } from "../test/support/api.js";
import { startDynamo } from "./support/env.js";

/**
 * How long a failed login takes, by why it failed: an unknown server, an unknown user, a wrong
 * password, a suspended PBX. The answers are one body; their times should not tell them apart
 * (services/auth.ts: one scrypt check each and a floor of FAILED_LOGIN_MIN_MS for every failure).
 *
 *   npx tsx bench/login-timing.ts [rounds]
 */
const rounds = Number(process.argv[2] ?? 20);
// The gate's limits would turn the repeated guesses into 429s: this measures the 401 path.
process.env.PBX_GATE_TARGET_ATTEMPTS = "1000000";
process.env.PBX_GATE_IP_ATTEMPTS = "1000000";
const stack = await startDynamo();
const api = await TestApi.start();
const tenant = await api.createTenant();
const suspended = await api.createTenant();
await api.request("POST", `/api/v1/platform/tenants/${suspended.id}/suspend`, { token: api.platformKey });

let ip = 0;
const login = (server: string, email: string) =>
  api.request("POST", "/api/v1/auth/login", {
    ip: `100.99.${Math.floor(ip / 250)}.${(ip++ % 250) + 1}`,
    body: { server, email, password: "Wrong1Password" },
  });
const cases: Record<string, () => ReturnType<typeof login>> = {
  "unknown server": () => login(`none-${tenant.slug}`, tenant.adminEmail),
  "unknown user": () => login(tenant.slug, `x${tenant.adminEmail}`),
  "wrong password": () => login(tenant.slug, tenant.adminEmail),
  "suspended PBX": () => login(suspended.slug, suspended.adminEmail),
};
const times: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(cases)) {
    const started = performance.now();
    const answer = await run();
    if (answer.status !== 401) throw new Error(`${name} answered ${answer.status}`);
    times[name] = [...(times[name] ?? []), performance.now() - started];
  }
}
const at = (list: number[], q: number) => [...list].sort((a, b) => a - b)[Math.floor((list.length - 1) * q)] ?? 0;
console.log(`failed logins, ${rounds} rounds interleaved (ms)`);
console.log("case             median    p10    p90");
for (const [name, list] of Object.entries(times)) {
  const cells = [at(list, 0.5), at(list, 0.1), at(list, 0.9)].map((v) => v.toFixed(0).padStart(6));
  console.log(`${name.padEnd(15)} ${cells.join(" ")}`);
}
await api.stop();
await stack.stop();
