/**
 * GET /extensions/{id}/registrations reads what the SIP listener's registrar stores: the
 * bindings here are written by the registrar's own BindingStore, the code a REGISTER runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDeps } from "../../layers/core/deps.js";
import { type Binding, BindingStore } from "../../listener/registrar/bindings.js";
import { TestApi } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;

const UNKNOWN_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

describe("extension registrations (registered devices)", () => {
  let api: TestApi;
  let tenant: Tenant;
  let other: Tenant;
  let extensionId: string;
  const store = new BindingStore(defaultDeps());

  const phone = (over: Partial<Binding>): Omit<Binding, "bindingId"> => ({
    tenantId: tenant.id,
    extensionId,
    kind: "phone",
    contact: "sip:201@192.168.1.20:5062;transport=tcp",
    flow: { transport: "tcp", address: "203.0.113.7", port: 40112 },
    callId: "call-1",
    cseq: 1,
    expiresAtMs: Date.now() + 3_600_000,
    userAgent: "Yealink SIP-T54W 96.86.0.70",
    taskId: "task-a",
    ...over,
  });
  const devicesOf = (id: string, token = tenant.token) =>
    api.request("GET", `/api/v1/extensions/${id}/registrations`, { token });

  beforeAll(async () => {
    api = await TestApi.start();
    [tenant, other] = await Promise.all([api.createTenant(), api.createTenant()]);
    extensionId = tenant.adminExtensionId;
  }, 60_000);
  afterAll(() => api?.stop());

  it("answers an empty list for an extension with nothing registered", async () => {
    const response = await devicesOf(extensionId);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ extensionId, devices: [] });
  });

  it("lists each live device: user agent, contact, transport, source address and expiry, phones first", async () => {
    // Prepare: two phones in two slots and a Linkus session, as REGISTERs would leave them.
    const expiresAtMs = Date.now() + 1_800_000;
    const first = await store.claimPhone(phone({ expiresAtMs }), 3, []);
    const second = await store.claimPhone(
      phone({
        contact: "sip:201@[2001:db8::5]:5060",
        flow: { transport: "udp", address: "2001:db8::5", port: 5060 },
        callId: "call-2",
        userAgent: undefined,
      }),
      3,
      first.ok ? [first.binding] : [],
    );
    expect([first.ok, second.ok]).toEqual([true, true]);
    await store.putLinkus({
      ...phone({ kind: "linkus", sessionId: "s1", contact: "sip:201@linkus", callId: "" }),
      flow: { transport: "tcp", address: "198.51.100.9", port: 51000 },
      userAgent: "Linkus Web Client",
    });

    // Act
    const response = await devicesOf(extensionId);

    // Assess
    expect(response.status).toBe(200);
    expect(response.body.devices).toEqual([
      {
        bindingId: "p1",
        kind: "phone",
        userAgent: "Yealink SIP-T54W 96.86.0.70",
        contact: "sip:201@192.168.1.20:5062;transport=tcp",
        transport: "tcp",
        sourceAddress: "203.0.113.7:40112",
        expiresAt: new Date(expiresAtMs).toISOString(),
      },
      expect.objectContaining({
        bindingId: "p2",
        userAgent: null,
        transport: "udp",
        sourceAddress: "[2001:db8::5]:5060",
      }),
      expect.objectContaining({ kind: "linkus", userAgent: "Linkus Web Client", sourceAddress: "198.51.100.9:51000" }),
    ]);
    expect(response.body.devices[2].bindingId).toMatch(/^l-/);
  });

  it("leaves out a binding past its expiry that TTL has not removed yet", async () => {
    // Prepare: the p1 phone's binding, rewritten as expired a second ago.
    const [p1] = (await store.list(tenant.id, extensionId)).filter((b) => b.bindingId === "p1");
    if (!p1) throw new Error("p1 is not stored");
    await store.rewritePhone({ ...p1, expiresAtMs: Date.now() - 1000 });

    // Act
    const response = await devicesOf(extensionId);

    // Assess
    expect(response.body.devices.map((d: { bindingId: string }) => d.bindingId)).not.toContain("p1");
    expect(response.body.devices).toHaveLength(2);
  });

  it("is the tenant's own: another tenant's administrator gets 404, as for an unknown extension", async () => {
    expect((await devicesOf(extensionId, other.token)).status).toBe(404);
    expect((await devicesOf(UNKNOWN_ID)).status).toBe(404);
    expect((await devicesOf("not-an-id")).body).toMatchObject({ error: expect.any(String) });
    expect((await devicesOf("not-an-id")).status).toBe(400);
  });

  it("needs extensions.view: a user with the None role is refused", async () => {
    const user = await api.userWithRole(tenant, "none", "2901");
    const response = await devicesOf(extensionId, user.token);
    expect(response.status).toBe(403);
  });
});
