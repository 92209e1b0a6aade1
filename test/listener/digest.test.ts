import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startListener } from "../../listener/server.js";
import { bindingsOf, createSipUser, eventually, type Fixture, startFixture } from "./support/fixture.js";
import { answerChallenge, UdpSipClient } from "./support/udp-client.js";

/** The registrar driven by an in-test UDP client: what sipp cannot do (SHA-256, replays, garbage). */
describe("registrar digest details", () => {
  let fx: Fixture;
  const clients: UdpSipClient[] = [];
  beforeAll(async () => {
    fx = await startFixture({ nonceLifetimeMs: 1_500, failedAuth: { max: 4, windowMs: 60_000, blockMs: 60_000 } });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  /** The Authorization answering a REGISTER challenge (the first algorithm offered). */
  const answerRegister = (
    challenge: Awaited<ReturnType<UdpSipClient["next"]>>,
    user: { registrationName: string; password: string },
    slug: string,
  ) =>
    answerChallenge(
      challenge.headers.get("WWW-Authenticate") ?? "",
      user.registrationName,
      user.password,
      "REGISTER",
      `sip:${slug}`,
    );

  /** `count` REGISTERs answering their challenge with a wrong password: the final statuses. */
  const failRegistrations = async (
    client: UdpSipClient,
    user: { registrationName: string },
    slug: string,
    count: number,
  ) => {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      client.register({ user: user.registrationName, domain: slug, cseq: i * 2 + 1 });
      const challenge = await client.next();
      if (challenge.status !== 401) {
        statuses.push(challenge.status);
        continue;
      }
      const bad = answerChallenge(
        challenge.headers.get("WWW-Authenticate") ?? "",
        user.registrationName,
        "WrongPassw0rd",
        "REGISTER",
        `sip:${slug}`,
      );
      client.register({ user: user.registrationName, domain: slug, cseq: i * 2 + 2, authorization: bad });
      statuses.push((await client.next()).status);
    }
    return statuses;
  };

  const open = async () => {
    const client = await UdpSipClient.open(fx.listener.sipPort);
    clients.push(client);
    return client;
  };

  it("offers one MD5 challenge by default (baresip 1.x gives up on a second)", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "409");
    const client = await open();
    client.register({ user: user.registrationName, domain: tenant.slug });
    const challenge = await client.next();
    expect(challenge.status).toBe(401);
    const offered = challenge.headers.getAll("WWW-Authenticate");
    expect(offered).toHaveLength(1);
    expect(offered[0]).toContain("algorithm=MD5");
  });

  it("refuses an answer with an algorithm the tenant does not offer", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "410");
    const client = await open();
    client.register({ user: user.registrationName, domain: tenant.slug });
    const md5 = (await client.next()).headers.get("WWW-Authenticate") ?? "";
    const sha = md5.replace("algorithm=MD5", "algorithm=SHA-256");
    const authorization = answerChallenge(sha, user.registrationName, user.password, "REGISTER", `sip:${tenant.slug}`);
    client.register({ user: user.registrationName, domain: tenant.slug, cseq: 2, authorization });
    expect((await client.next()).status).toBe(401);
    expect(await bindingsOf(tenant.id, user.id)).toHaveLength(0);
  });

  it("refuses a digest whose uri names another target", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "411");
    const client = await open();
    client.register({ user: user.registrationName, domain: tenant.slug });
    const challenge = (await client.next()).headers.get("WWW-Authenticate") ?? "";
    const authorization = answerChallenge(
      challenge,
      user.registrationName,
      user.password,
      "REGISTER",
      "sip:other.example",
    );
    client.register({ user: user.registrationName, domain: tenant.slug, cseq: 2, authorization });
    const answer = await client.next();
    expect(answer.status).toBe(400);
    expect(answer.reason).toMatch(/uri/i);
    expect(await bindingsOf(tenant.id, user.id)).toHaveLength(0);
  });

  it("offers the tenant's chosen algorithms in its order, and accepts a SHA-256 answer (RFC 8760)", async () => {
    // Prepare
    const tenant = await fx.api.createTenant();
    const saved = await fx.api.request("PATCH", "/api/v1/settings", {
      token: tenant.token,
      body: { sipDigestAlgorithms: ["MD5", "SHA-256"] },
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the listener re-reads the directory version each second
    const user = await createSipUser(fx.api, tenant, "401");
    const client = await open();
    client.register({ user: user.registrationName, domain: tenant.slug });
    const challenge = await client.next();
    const offered = challenge.headers.getAll("WWW-Authenticate");
    expect(challenge.status).toBe(401);
    expect(offered[0]).toContain("algorithm=MD5");
    expect(offered[1]).toContain("algorithm=SHA-256");
    // Act
    const authorization = answerChallenge(
      offered[1] ?? "",
      user.registrationName,
      user.password,
      "REGISTER",
      `sip:${tenant.slug}`,
    );
    client.register({ user: user.registrationName, domain: tenant.slug, cseq: 2, authorization });
    const answer = await client.next();
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get("Contact")).toContain(`:${client.port}`);
    expect(await bindingsOf(tenant.id, user.id)).toHaveLength(1);
  });

  it("refuses a replayed nonce count and an expired nonce with stale=true", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "402");
    const client = await open();
    client.register({ user: user.registrationName, domain: tenant.slug });
    const challenge = (await client.next()).headers.get("WWW-Authenticate") ?? "";
    const authorization = answerChallenge(
      challenge,
      user.registrationName,
      user.password,
      "REGISTER",
      `sip:${tenant.slug}`,
    );
    client.register({ user: user.registrationName, domain: tenant.slug, cseq: 2, authorization });
    expect((await client.next()).status).toBe(200);
    // The same credentials again (same nonce, same nc): a replay.
    client.register({ user: user.registrationName, domain: tenant.slug, cseq: 3, authorization });
    const replay = await client.next();
    expect(replay.status).toBe(401);
    expect(replay.headers.get("WWW-Authenticate")).toContain("stale=TRUE");
    // A higher nc on the same nonce is fine; once the nonce is too old it is stale.
    const nc2 = answerChallenge(challenge, user.registrationName, user.password, "REGISTER", `sip:${tenant.slug}`, 2);
    client.register({ user: user.registrationName, domain: tenant.slug, cseq: 4, authorization: nc2 });
    expect((await client.next()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    const nc3 = answerChallenge(challenge, user.registrationName, user.password, "REGISTER", `sip:${tenant.slug}`, 3);
    client.register({ user: user.registrationName, domain: tenant.slug, cseq: 5, authorization: nc3 });
    const stale = await client.next();
    expect(stale.status).toBe(401);
    expect(stale.headers.get("WWW-Authenticate")).toContain("stale=TRUE");
  });

  it("answers a retransmitted REGISTER with its first answer, not a new challenge (RFC 3261 §17.2.2)", async () => {
    // Prepare
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "403");
    const client = await open();
    const first = client.register({ user: user.registrationName, domain: tenant.slug });
    const challenge = await client.next();
    client.sendRaw(first.text); // the same request again: same branch, as a phone's Timer E resends it
    const challengeAgain = await client.next();
    const authorization = answerRegister(challenge, user, tenant.slug);
    const second = client.register({ user: user.registrationName, domain: tenant.slug, cseq: 2, authorization });
    const answer = await client.next();

    // Act: the 200 was lost on the way; the phone resends the authenticated REGISTER.
    client.sendRaw(second.text);
    const answerAgain = await client.next();

    // Assess
    expect(challengeAgain.status).toBe(401);
    expect(challengeAgain.headers.get("WWW-Authenticate")).toBe(challenge.headers.get("WWW-Authenticate"));
    expect(answer.status).toBe(200);
    expect(answerAgain.status).toBe(200);
    expect(answerAgain.headers.get("Contact")).toBe(answer.headers.get("Contact"));
    expect(await bindingsOf(tenant.id, user.id)).toHaveLength(1);
  });

  it.each([
    ["reuses its branch", "z9hG4bKsame-branch"],
    ["sends no branch (RFC 2543)", null],
  ])("registers a phone that %s for the answer to a challenge", async (_what, branch) => {
    // Prepare
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, branch ? "404" : "405");
    const client = await open();
    const callId = `same-call-${branch ?? "none"}`;
    client.register({ user: user.registrationName, domain: tenant.slug, branch, callId });
    const challenge = await client.next();
    const authorization = answerRegister(challenge, user, tenant.slug);

    // Act: same source, same branch (or none), same Call-ID; only the CSeq moves on.
    client.register({ user: user.registrationName, domain: tenant.slug, branch, callId, cseq: 2, authorization });
    const answer = await client.next();

    // Assess
    expect(challenge.status).toBe(401);
    expect(answer.status).toBe(200);
    expect(await bindingsOf(tenant.id, user.id)).toHaveLength(1);
  });

  it("challenges a domain that is no tenant's like any other, answers 400 for a malformed request, and survives garbage", async () => {
    const client = await open();
    client.register({ user: "nobody", domain: "no-such-tenant" });
    expect((await client.next()).status, "unknown domain").toBe(401);
    client.sendRaw("REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\nCall-ID: a\r\n\r\n");
    expect((await client.next()).status, "malformed").toBe(400);
    for (let i = 0; i < 200; i++)
      client.sendRaw(Buffer.from(Array.from({ length: 1 + ((i * 37) % 900) }, (_, j) => (i * 31 + j * 7) % 256)));
    client.sendRaw(Buffer.alloc(65_000, 65));
    // UDP may drop under the burst: the process must still answer once it has read it all.
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.register({ user: "nobody", domain: "no-such-tenant" });
    expect((await client.next()).status, "after garbage").toBe(401);
    expect(fx.listener.sip.stats.malformed).toBeGreaterThan(0);
  });

  it("registers a Linkus client with its session credentials outside the phone limit, and drops it on logout", async () => {
    // Prepare: the phone slot is taken, then the user logs in to Linkus.
    const tenant = await fx.api.createTenant();
    const email = `linkus@${tenant.slug}.example.com`;
    const user = await createSipUser(fx.api, tenant, "403", 1, { email, userPassword: "UserPassw0rd" });
    const phone = await open();
    phone.register({ user: user.registrationName, domain: tenant.slug });
    phone.register({
      user: user.registrationName,
      domain: tenant.slug,
      cseq: 2,
      authorization: answerChallenge(
        (await phone.next()).headers.get("WWW-Authenticate") ?? "",
        user.registrationName,
        user.password,
        "REGISTER",
        `sip:${tenant.slug}`,
      ),
    });
    expect((await phone.next()).status).toBe(200);
    const login = await fx.api.login(tenant.slug, email, "UserPassw0rd", "linkus_mobile");
    // The login answer carries everything the app registers with.
    const sip = login.sip as {
      domain: string;
      username: string;
      password: string;
      proxy: object;
      transports: string[];
    };
    expect(sip).toMatchObject({
      domain: tenant.slug,
      proxy: { host: "127.0.0.1", port: 5060 },
      transports: ["udp", "tcp"],
    });
    expect(sip.username).toMatch(/^linkus\*/);
    // Act
    const app = await open();
    app.register({ user: sip.username, domain: tenant.slug });
    const challenge = (await app.next()).headers.get("WWW-Authenticate") ?? "";
    app.register({
      user: sip.username,
      domain: tenant.slug,
      cseq: 2,
      authorization: answerChallenge(challenge, sip.username, sip.password, "REGISTER", `sip:${tenant.slug}`),
    });
    // Assess
    expect((await app.next()).status).toBe(200);
    const bindings = await bindingsOf(tenant.id, user.id);
    expect(bindings.map((b) => b.kind).sort()).toEqual(["linkus", "phone"]);
    // Logout ends the session: the same credentials no longer register.
    const out = await fx.api.request("POST", "/api/v1/auth/logout", { token: login.accessToken });
    expect(out.status).toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    app.register({ user: sip.username, domain: tenant.slug, cseq: 3 });
    const again = (await app.next()).headers.get("WWW-Authenticate") ?? "";
    app.register({
      user: sip.username,
      domain: tenant.slug,
      cseq: 4,
      authorization: answerChallenge(again, sip.username, sip.password, "REGISTER", `sip:${tenant.slug}`),
    });
    expect((await app.next()).status).toBe(401);
  });

  it("blocks an IP after a flood of failed registrations", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "404");
    const client = await open();
    const statuses = await failRegistrations(client, user, tenant.slug, 6);
    // The tenant's login security (5 failures by default) or the listener's own limiter (4 here) blocks first.
    expect(statuses[0]).toBe(401);
    expect(statuses.slice(-2)).toEqual([403, 403]);
  });

  it("records Linkus User Blocked Out when SIP failures take the tenant's login-security block", async () => {
    // A task of its own whose in-memory limiter stays out of the way (the file's other tests
    // already spent this address's budget on the shared one).
    const task = await startListener({
      host: "127.0.0.1",
      sipPort: 0,
      linkusPort: 0,
      failedAuth: { max: 50, windowMs: 60_000, blockMs: 60_000 },
    });
    try {
      const tenant = await fx.api.createTenant();
      const user = await createSipUser(fx.api, tenant, "412");
      const client = await UdpSipClient.open(task.sipPort);
      clients.push(client);
      const statuses = await failRegistrations(client, user, tenant.slug, 6);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      // The tenant's block was taken by SIP failures: seed 000's "Linkus User Blocked Out" is recorded.
      await eventually(async () => {
        const log = await fx.api.request("GET", "/api/v1/event-log", {
          token: tenant.token,
          query: { event: "linkus_user_blocked_out" },
        });
        expect(log.status).toBe(200);
        expect(log.body.items).toHaveLength(1);
        expect(log.body.items[0].details).toContain("failed SIP registrations");
      });
    } finally {
      await task.stop();
    }
  });
});
