import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindingsOf, createSipUser, type Fixture, freePort, startFixture } from "../../listener/support/fixture.js";
import { registerScenario, runSipp, SIPP } from "../../listener/support/sipp.js";

if (!SIPP) console.warn("sipp is not installed (Debian package sip-tester): the sipp registrar tests are skipped");

describe.skipIf(!SIPP)("registrar with sipp as the phone", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const register = async (
    user: { registrationName: string; auth: string },
    slug: string,
    expect: number,
    options: { expires?: number; localPort?: number; wildcard?: boolean } = {},
  ) =>
    runSipp({
      scenario: registerScenario(expect, { wildcard: options.wildcard ?? false }),
      rows: [[user.registrationName, slug, user.auth, String(options.expires ?? 300)]],
      remotePort: fx.listener.sipPort,
      localPort: options.localPort ?? (await freePort()),
    });

  it("registers with an MD5 digest and stores the binding with a TTL", async () => {
    // Prepare
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "201");
    // Act
    const result = await register(user, tenant.slug, 200);
    // Assess
    expect(result.code, result.output).toBe(0);
    const bindings = await bindingsOf(tenant.id, user.id);
    expect(bindings).toHaveLength(1);
    expect(bindings[0]?.kind).toBe("phone");
    expect(bindings[0]?.expiresAtMs).toBeGreaterThan(Date.now() + 250_000);
  });

  it("refuses a wrong password with a new challenge and stores nothing", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "202");
    const wrong = {
      ...user,
      auth: `[authentication username=${user.registrationName} password=Wrong${user.password}]`,
    };
    const result = await register(wrong, tenant.slug, 401);
    expect(result.code, result.output).toBe(0);
    expect(await bindingsOf(tenant.id, user.id)).toHaveLength(0);
  });

  it("accepts the limit's worth of phones and refuses one more with 403", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "203", 2);
    const first = await register(user, tenant.slug, 200);
    const second = await register(user, tenant.slug, 200);
    const third = await register(user, tenant.slug, 403);
    expect([first.code, second.code, third.code], `${first.output}\n${second.output}\n${third.output}`).toEqual([
      0, 0, 0,
    ]);
    expect(await bindingsOf(tenant.id, user.id)).toHaveLength(2);
  });

  it("refreshes a binding from memory without taking another slot, and writes it behind", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "204", 1);
    const port = await freePort();
    expect((await register(user, tenant.slug, 200, { localPort: port })).code).toBe(0);
    const inMemory = fx.listener.bindings.stats.refreshedInMemory;
    const again = await register(user, tenant.slug, 200, { localPort: port, expires: 600 });
    expect(again.code, again.output).toBe(0);
    // Answered from memory: DynamoDB still holds the first registration's expiry, in one slot.
    expect(fx.listener.bindings.stats.refreshedInMemory).toBe(inMemory + 1);
    const stored = await bindingsOf(tenant.id, user.id);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.expiresAtMs).toBeLessThan(Date.now() + 310_000);
    const held = await fx.listener.bindings.list(tenant.id, user.id);
    expect(held[0]?.expiresAtMs).toBeGreaterThan(Date.now() + 500_000);
    // Written behind (here at once; the flusher does it before the stored copy could lapse).
    await fx.listener.bindings.flushAll();
    const flushed = await bindingsOf(tenant.id, user.id);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]?.expiresAtMs).toBeGreaterThan(Date.now() + 500_000);
  });

  it("unregisters with Expires: 0 and with Contact: *", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "205", 2);
    const port = await freePort();
    expect((await register(user, tenant.slug, 200, { localPort: port })).code).toBe(0);
    expect((await register(user, tenant.slug, 200)).code).toBe(0);
    expect(await bindingsOf(tenant.id, user.id)).toHaveLength(2);
    const one = await register(user, tenant.slug, 200, { localPort: port, expires: 0 });
    expect(one.code, one.output).toBe(0);
    expect(await bindingsOf(tenant.id, user.id)).toHaveLength(1);
    const all = await register(user, tenant.slug, 200, { wildcard: true, expires: 0 });
    expect(all.code, all.output).toBe(0);
    expect(await bindingsOf(tenant.id, user.id)).toHaveLength(0);
  });

  it("answers 423 Interval Too Brief below 60 seconds", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "206");
    const result = await register(user, tenant.slug, 423, { expires: 30 });
    expect(result.code, result.output).toBe(0);
  });
});
