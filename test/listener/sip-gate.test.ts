import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSipUser, type Fixture, type SipUser, startFixture } from "./support/fixture.js";
import { answerChallenge, UdpSipClient } from "./support/udp-client.js";

/**
 * SIP digest checks through the platform's shared brute-force gate (listener/auth/gate.ts) with
 * its production limits: 30 attempts per IP in 10 minutes, 10 per user in 15. Each test sends
 * from an address of its own in 127.0.0.0/8, so the shared counters of one do not spill into
 * another.
 */
describe("SIP brute-force gate", () => {
  let fx: Fixture;
  const clients: UdpSipClient[] = [];
  const saved = { ip: process.env.PBX_GATE_IP_ATTEMPTS, target: process.env.PBX_GATE_TARGET_ATTEMPTS };
  beforeAll(async () => {
    process.env.PBX_GATE_IP_ATTEMPTS = "30";
    process.env.PBX_GATE_TARGET_ATTEMPTS = "10";
    // The task's own in-memory limiter out of the way: the shared gate is what is tested.
    fx = await startFixture({ failedAuth: { max: 10_000, windowMs: 60_000, blockMs: 60_000 } });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(async () => {
    await fx?.stop();
    process.env.PBX_GATE_IP_ATTEMPTS = saved.ip;
    process.env.PBX_GATE_TARGET_ATTEMPTS = saved.target;
  });

  const open = async (address: string) => {
    const client = await UdpSipClient.open(fx.listener.sipPort, address);
    clients.push(client);
    return client;
  };

  /** One REGISTER answered with `password` from a fresh socket (never a known device): the final status and reason. */
  const attempt = async (address: string, user: string, domain: string, password: string, callId?: string) => {
    const client = await open(address);
    client.register({ user, domain, cseq: 1, callId });
    const challenge = await client.next();
    if (challenge.status !== 401) return { status: challenge.status, reason: challenge.reason, challenge };
    const authorization = answerChallenge(
      challenge.headers.get("WWW-Authenticate") ?? "",
      user,
      password,
      "REGISTER",
      `sip:${domain}`,
    );
    client.register({ user, domain, cseq: 2, authorization, callId });
    const final = await client.next();
    client.close();
    return { status: final.status, reason: final.reason, challenge };
  };

  it("blocks an IP at its 31st wrong password across tenants, however many other successes interleave", async () => {
    const ip = "127.0.0.21";
    const own = await fx.api.createTenant();
    const ownUser = await createSipUser(fx.api, own, "601");
    // Guesses spread over 25 tenants, 4 each: under every tenant's own rule (5), so only the
    // platform-wide count per IP can stop them.
    const tenants = await fx.api.createTenantPool(25);
    const targets: { slug: string; user: SipUser }[] = [];
    for (let i = 0; i < 25; i++) {
      const tenant = tenants();
      targets.push({ slug: tenant.slug, user: await createSipUser(fx.api, tenant, "602") });
    }
    const statuses: number[] = [];
    const successes: number[] = [];
    for (let i = 0; i < 100; i++) {
      const target = targets[i % 25] as (typeof targets)[number];
      statuses.push((await attempt(ip, target.user.registrationName, target.slug, "WrongPassw0rd")).status);
      // Another tenant's phone behind the same address registers between the guesses.
      if (i % 5 === 0 && i < 30)
        // The same phone each time (one Call-ID: it replaces its binding) from a new port: never a known flow.
        successes.push((await attempt(ip, ownUser.registrationName, own.slug, ownUser.password, "own-601")).status);
    }
    expect(successes).toEqual(successes.map(() => 200));
    expect(statuses.slice(0, 30)).toEqual(statuses.slice(0, 30).map(() => 401));
    expect(new Set(statuses.slice(30))).toEqual(new Set([403]));
    // The blocked address gets no password checked, a right one included; another address does.
    expect((await attempt(ip, ownUser.registrationName, own.slug, ownUser.password, "own-601")).status).toBe(403);
    expect((await attempt("127.0.0.121", ownUser.registrationName, own.slug, ownUser.password, "own-601")).status).toBe(
      200,
    );
  }, 120_000);

  it("counts guesses sent in parallel before any is answered: no more than the limit get a password checked", async () => {
    const ip = "127.0.0.22";
    const tenant = await fx.api.createTenant();
    const users = await Promise.all(
      Array.from({ length: 8 }, (_, i) => createSipUser(fx.api, tenant, String(610 + i), 1)),
    );
    // 40 guesses at 8 users (5 each: the tenant's rule would block at the 5th; give it room).
    await fx.api.request("PUT", "/api/v1/security/login-security", {
      token: tenant.token,
      body: { maxFailures: 100, windowMinutes: 10, blockMinutes: 10, allowlist: [] },
    });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const user = users[i % 8] as SipUser;
        return attempt(ip, user.registrationName, tenant.slug, "WrongPassw0rd");
      }),
    );
    const checked = results.filter((r) => r.status === 401).length;
    expect(checked).toBeLessThanOrEqual(30);
    expect(results.filter((r) => r.status === 403).length).toBe(40 - checked);
    const right = users[0] as SipUser;
    expect((await attempt(ip, right.registrationName, tenant.slug, right.password)).status).toBe(403);
  }, 60_000);

  it("answers an unknown domain, a suspended tenant, an unknown user and a wrong password alike", async () => {
    const ip = "127.0.0.23";
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "620");
    const suspended = await fx.api.createTenant();
    const suspendedUser = await createSipUser(fx.api, suspended, "621");
    const suspend = await fx.api.request("POST", `/api/v1/platform/tenants/${suspended.id}/suspend`, {
      token: fx.api.platformKey,
    });
    expect(suspend.status).toBe(200);

    const cases = {
      unknownDomain: await attempt(ip, "620", "t-no-such-tenant", "WrongPassw0rd"),
      suspendedRightPassword: await attempt(ip, suspendedUser.registrationName, suspended.slug, suspendedUser.password),
      unknownUser: await attempt(ip, "no-such-user", tenant.slug, "WrongPassw0rd"),
      wrongPassword: await attempt(ip, user.registrationName, tenant.slug, "WrongPassw0rd"),
    };
    for (const [name, result] of Object.entries(cases)) {
      expect({ name, status: result.status, reason: result.reason }).toEqual({
        name,
        status: 401,
        reason: "Unauthorized",
      });
      // The challenge names the realm asked for, with the same algorithm and qop, whatever it is.
      const offered = result.challenge.headers.getAll("WWW-Authenticate");
      expect(offered).toHaveLength(1);
      expect(offered[0]).toMatch(/^Digest realm="[^"]+", nonce="[^"]+", algorithm=MD5, qop="auth"/);
    }
  });

  it("lets a registered phone refresh without the gate, and stops it within seconds of its IP being blocked", async () => {
    const ip = "127.0.0.24";
    const tenant = await fx.api.createTenant();
    const phoneUser = await createSipUser(fx.api, tenant, "630");
    const guessed = await createSipUser(fx.api, tenant, "631");
    const phone = await open(ip);
    const register = async (cseq: number) => {
      phone.register({ user: phoneUser.registrationName, domain: tenant.slug, cseq, callId: "phone-630" });
      const challenge = await phone.next();
      if (challenge.status !== 401) return challenge.status;
      const authorization = answerChallenge(
        challenge.headers.get("WWW-Authenticate") ?? "",
        phoneUser.registrationName,
        phoneUser.password,
        "REGISTER",
        `sip:${tenant.slug}`,
      );
      phone.register({
        user: phoneUser.registrationName,
        domain: tenant.slug,
        cseq: cseq + 1,
        callId: "phone-630",
        authorization,
      });
      return (await phone.next()).status;
    };
    expect(await register(1)).toBe(200);
    expect(await register(3)).toBe(200);

    // Five wrong passwords from the same address (another device) take the tenant's block.
    for (let i = 0; i < 5; i++) await attempt(ip, guessed.registrationName, tenant.slug, "WrongPassw0rd");
    const blocked = await fx.api.request("GET", "/api/v1/security/blocked-ips", { token: tenant.token });
    expect(blocked.body.items.map((b: { ip: string }) => b.ip)).toContain(ip);
    const started = Date.now();
    let status = 200;
    for (let cseq = 5; status === 200 && Date.now() - started < 5_000; cseq += 2) {
      status = await register(cseq);
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(403);
    expect(Date.now() - started).toBeLessThan(3_000);

    // Unblocked by the administrator: the phone registers again.
    const unblock = await fx.api.request("DELETE", `/api/v1/security/blocked-ips/${ip}`, { token: tenant.token });
    expect(unblock.status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await register(101)).toBe(200);
  });
});
