import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAILED_LOGIN_MIN_MS } from "../../layers/core/services/auth.js";
import { TestApi } from "../support/api.js";

/**
 * The login gate (services/auth-gate.ts) with its shipped limits: unknown servers and users
 * count and block like real ones, one IP is limited across the whole platform, one user is
 * limited from every IP, nobody else's success resets a count, and every failure looks alike.
 */
const ADMIN_PASSWORD = "Adm1nPassword!";
let ipCounter = 0;
/** A fresh address per use: counters are shared by every test file of the run. */
const freshIp = () => `100.${64 + (process.pid % 60)}.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

// Concurrent: each test has its own tenants and addresses, and most of the time is the 400 ms
// floor of each failed login, waited out side by side.
describe("the login gate", { timeout: 180_000, concurrent: true }, () => {
  let api: TestApi;

  beforeAll(async () => {
    // The shipped limits (the suite's setup raises them for every other file).
    process.env.PBX_GATE_IP_ATTEMPTS = "30";
    process.env.PBX_GATE_TARGET_ATTEMPTS = "10";
    api = await TestApi.start();
  });
  afterAll(() => api?.stop());

  const login = (server: string, email: string, password: string, ip: string, client = "web") =>
    api.request("POST", "/api/v1/auth/login", { ip, body: { server, email, password, client } });

  /** A tenant, created and logged into from an address of its own (loopback's counts are shared). */
  async function newTenant(suspended = false) {
    const slug = `g-${randomBytes(5).toString("hex")}`;
    const adminEmail = `admin@${slug}.example.com`;
    const created = await api.request("POST", "/api/v1/platform/tenants", {
      token: api.platformKey,
      body: { name: `Gate ${slug}`, slug, adminEmail, adminPassword: ADMIN_PASSWORD },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const session = await login(slug, adminEmail, ADMIN_PASSWORD, freshIp());
    expect(session.status).toBe(200);
    if (suspended) {
      const suspend = await api.request("POST", `/api/v1/platform/tenants/${created.body.tenant.id}/suspend`, {
        token: api.platformKey,
      });
      expect(suspend.status, JSON.stringify(suspend.body)).toBeLessThan(300);
    }
    return { slug, adminEmail, token: session.body.accessToken as string, id: created.body.tenant.id as string };
  }

  it("an unknown server counts and blocks exactly like a real one", async () => {
    // Prepare
    const tenant = await newTenant();
    const [ipReal, ipUnknown] = [freshIp(), freshIp()];

    // Act: six wrong guesses one after the other from each address, at a real server (unknown
    // user) and at a made-up one, the two series side by side
    const series = async (server: string, ip: string) => {
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await login(server, "nobody@example.com", "Wrong1Password", ip));
      return answers;
    };
    const [real, unknown] = await Promise.all([series(tenant.slug, ipReal), series(`nope-${tenant.slug}`, ipUnknown)]);

    // Assess: the same answers in the same order, a block after five
    expect(real.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 429]);
    expect(unknown.map((r) => r.status)).toEqual(real.map((r) => r.status));
    expect(unknown[0]?.body).toEqual(real[0]?.body);
    expect(Object.keys(unknown[5]?.body ?? {})).toEqual(Object.keys(real[5]?.body ?? {}));
  });

  it("limits one IP across the platform: 30 guesses at 30 made-up servers, then even a right password waits", async () => {
    // Prepare
    const tenant = await newTenant();
    const ip = freshIp();

    // Act: the 30 guesses at once (the count is atomic: the next test sends 40 at once)
    const guesses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(`made-up-${i}-${tenant.slug}`, "a@b.example", "x", ip)),
    );
    const right = await login(tenant.slug, tenant.adminEmail, ADMIN_PASSWORD, ip);
    const elsewhere = await login(tenant.slug, tenant.adminEmail, ADMIN_PASSWORD, freshIp());

    // Assess
    expect(guesses.every((g) => g.status === 401)).toBe(true);
    expect(right.status).toBe(429);
    expect(right.body.error).toBe("too_many_attempts");
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(elsewhere.status).toBe(200);
  });

  it("never lets another identity's success reset the count: a colleague's logins between the guesses", async () => {
    // Prepare: a colleague in the same PBX and a second PBX, both logging in from the attacker's IP
    const tenant = await newTenant();
    const other = await newTenant();
    const colleague = `colleague@${tenant.slug}.example.com`;
    const made = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "Col", number: "4100", email: colleague, userPassword: "Colleague1Pass" },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const ip = freshIp();

    // Act: a wrong guess at the administrator, then both successes, five times over
    const guesses = [];
    const successes = [];
    for (let i = 0; i < 5; i++) {
      guesses.push(await login(tenant.slug, tenant.adminEmail, `Wrong${i}Password`, ip));
      successes.push(await login(tenant.slug, colleague, "Colleague1Pass", ip));
      successes.push(await login(other.slug, other.adminEmail, ADMIN_PASSWORD, ip));
    }
    const next = await login(tenant.slug, tenant.adminEmail, ADMIN_PASSWORD, ip);

    // Assess: blocked at the fifth failure, the successes notwithstanding
    expect(guesses.map((g) => g.status)).toEqual([401, 401, 401, 401, 401]);
    expect(successes.slice(0, 8).every((s) => s.status === 200)).toBe(true);
    expect(next.status).toBe(429);
  });

  it("limits one user from every IP, and 40 simultaneous guesses get at most 10 passwords checked", async () => {
    // Prepare
    const tenant = await newTenant();

    // Act: 40 guesses at once, each from its own address (so no IP rule applies)
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(tenant.slug, tenant.adminEmail, `Wrong${i}Password`, freshIp())),
    );
    const right = await login(tenant.slug, tenant.adminEmail, ADMIN_PASSWORD, freshIp());

    // Assess: a 401 is a password that was checked
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    expect(right.status).toBe(429);
  });

  it("counts one user's email and number as one target, and guesses at the current password too", async () => {
    // Prepare
    const tenant = await newTenant();
    const me = await api.request("GET", "/api/v1/me", { token: tenant.token });
    const number = me.body.extension.number as string;
    const byNumber = (password: string) =>
      api.request("POST", "/api/v1/auth/login", {
        ip: freshIp(),
        body: { server: tenant.slug, extension: number, password },
      });

    // Act: four guesses by email, four by number, three at the current password with the token
    const guesses = [];
    for (let i = 0; i < 4; i++) guesses.push(await login(tenant.slug, tenant.adminEmail, `Wrong${i}Pass`, freshIp()));
    for (let i = 0; i < 4; i++) guesses.push(await byNumber(`Wrong${i}Pass`));
    for (let i = 0; i < 3; i++) {
      guesses.push(
        await api.request("POST", "/api/v1/me/password", {
          token: tenant.token,
          ip: freshIp(),
          body: { currentPassword: `Wrong${i}Pass`, newPassword: "Another1Password" },
        }),
      );
    }

    // Assess: ten passwords checked, the eleventh guess refused before its check
    expect(guesses.map((g) => g.status)).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 400, 400, 429]);
  });

  it("answers an unknown server, an unknown user, a wrong password and a suspended PBX alike", async () => {
    // Prepare
    const tenant = await newTenant();
    const suspended = await newTenant(true);
    const cases = {
      unknownServer: () => login(`none-${tenant.slug}`, tenant.adminEmail, "Wrong1Password", freshIp()),
      unknownUser: () => login(tenant.slug, `x${tenant.adminEmail}`, "Wrong1Password", freshIp()),
      wrongPassword: () => login(tenant.slug, tenant.adminEmail, "Wrong1Password", freshIp()),
      suspendedWrong: () => login(suspended.slug, suspended.adminEmail, "Wrong1Password", freshIp()),
    };

    // Act: interleaved rounds, timed
    const times: Record<string, number[]> = {};
    const bodies: Record<string, unknown> = {};
    for (let round = 0; round < 2; round++) {
      for (const [name, run] of Object.entries(cases)) {
        const started = performance.now();
        const answer = await run();
        times[name] = [...(times[name] ?? []), performance.now() - started];
        expect(answer.status, name).toBe(401);
        bodies[name] = answer.body;
      }
    }
    const suspendedRight = await login(suspended.slug, suspended.adminEmail, ADMIN_PASSWORD, freshIp());

    // Assess: one body; every failure takes at least the floor, so the work behind it does not show
    expect(new Set(Object.values(bodies).map((b) => JSON.stringify(b))).size).toBe(1);
    for (const [name, list] of Object.entries(times)) {
      for (const ms of list) expect(ms, name).toBeGreaterThanOrEqual(FAILED_LOGIN_MIN_MS - 5);
    }
    // (How close the four come on a quiet machine: bench/login-timing.ts, figures in docs/security.md.)
    // Only the right password learns that the PBX is suspended.
    expect(suspendedRight.status).toBe(403);
  });
});
