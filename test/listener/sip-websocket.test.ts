import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { bindingsOf, createSipUser, eventually, type Fixture, startFixture } from "./support/fixture.js";
import { Phone } from "./support/phone.js";

/**
 * SIP over WebSocket (RFC 7118) on the Linkus port's `/sip` path, with a raw WebSocket client
 * speaking SIP the way a browser's JsSIP does: the Web Client's session credentials, bindings
 * keyed by +sip.instance, calls routed back over the socket, bindings gone with the socket.
 */
describe("SIP over WebSocket on the Linkus port", () => {
  let fx: Fixture;
  const phones: Phone[] = [];
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterEach(() => {
    for (const phone of phones.splice(0)) phone.close();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const open = async (transport: "udp" | "ws") => {
    const phone = await Phone.open(transport === "ws" ? fx.listener.linkusPort : fx.listener.sipPort, transport);
    phones.push(phone);
    return phone;
  };

  /** An extension (one phone slot) whose user logs in to the Web Client: its SIP credentials. */
  async function webUser(number: string) {
    const tenant = await fx.api.createTenant();
    const email = `u${number}@${tenant.slug}.example.com`;
    const user = await createSipUser(fx.api, tenant, number, 1, { email, userPassword: "UserPassw0rd" });
    const login = await fx.api.login(tenant.slug, email, "UserPassw0rd", "web");
    const sip = login.sip as { username: string; password: string; domain: string; websocket: string };
    const browser = { registrationName: sip.username, password: sip.password };
    return { tenant, user, sip, browser };
  }

  it("hands the Web Client its SIP credentials and the WebSocket URL in the login answer", async () => {
    // Act
    const { tenant, sip } = await webUser("201");
    // Assess
    expect(sip.domain).toBe(tenant.slug);
    expect(sip.username).toMatch(/^linkus\*/);
    expect(sip.websocket).toMatch(/^wss?:\/\/.+\/sip$/);
  });

  it("registers a browser outside the phone limit, keyed by its instance: a reload replaces, closing removes", async () => {
    // Prepare: the extension's only phone slot is taken by a desk phone.
    const { tenant, user, browser } = await webUser("202");
    const desk = await open("udp");
    expect((await desk.register(user, tenant.slug)).status).toBe(200);
    const instance = randomUUID();
    // Act: the page registers, then is reloaded (a new socket, the same tab's instance).
    const first = await open("ws");
    const registered = await first.register(browser, tenant.slug, { instance, regId: 1, expires: 300 });
    const reloaded = await open("ws");
    const again = await reloaded.register(browser, tenant.slug, { instance, regId: 1, expires: 300 });
    // Assess
    expect(registered.status, "the browser takes no phone slot").toBe(200);
    expect(again.status).toBe(200);
    const afterReload = await bindingsOf(tenant.id, user.id);
    expect(afterReload.map((b) => b.kind).sort(), "replaced, not added").toEqual(["linkus", "phone"]);
    const browserBinding = afterReload.find((b) => b.kind === "linkus");
    expect(browserBinding?.flow).toMatchObject({ transport: "ws", port: reloaded.port });
    expect(browserBinding?.instance).toContain(`<urn:uuid:${instance}>`);
    // The old page's socket closes: the reloaded page's binding stays.
    first.close();
    await first.closed();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await bindingsOf(tenant.id, user.id)).map((b) => b.kind).sort()).toEqual(["linkus", "phone"]);
    // Another tab of the same session is another instance: a second binding.
    const tab = await open("ws");
    expect((await tab.register(browser, tenant.slug, { instance: randomUUID(), regId: 1 })).status).toBe(200);
    expect((await bindingsOf(tenant.id, user.id)).filter((b) => b.kind === "linkus")).toHaveLength(2);
    // Closing the pages removes their bindings; the desk phone's stays.
    reloaded.close();
    tab.close();
    await eventually(async () => {
      expect((await bindingsOf(tenant.id, user.id)).map((b) => b.kind)).toEqual(["phone"]);
    });
  });

  it("routes a call to the browser over the socket that registered, with ACK and BYE", async () => {
    // Prepare: 301 is a desk phone, 302 a browser.
    const tenant = await fx.api.createTenant();
    const caller = await createSipUser(fx.api, tenant, "301", 1);
    const email = `u302@${tenant.slug}.example.com`;
    await createSipUser(fx.api, tenant, "302", 1, { email, userPassword: "UserPassw0rd" });
    const login = await fx.api.login(tenant.slug, email, "UserPassw0rd", "web");
    const sip = login.sip as { username: string; password: string };
    const browser = await open("ws");
    const registered = await browser.register({ registrationName: sip.username, password: sip.password }, tenant.slug, {
      instance: randomUUID(),
      regId: 1,
    });
    expect(registered.status).toBe(200);
    const desk = await open("udp");
    expect((await desk.register(caller, tenant.slug)).status).toBe(200);
    // Act: the desk phone calls 302.
    const invite = desk.build("INVITE", `sip:302@${tenant.slug}`, {
      from: `<sip:${caller.registrationName}@${tenant.slug}>`,
      to: `<sip:302@${tenant.slug}>`,
      headers: [
        ["Contact", desk.contact(caller.registrationName)],
        ["Content-Type", "application/sdp"],
      ],
      body: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
    });
    const final = desk.authenticated(invite, caller);
    const inbound = await browser.request("INVITE");
    // Assess: it arrived over the WebSocket, with our WebSocket Via and Record-Route on top.
    expect(inbound.uri).toMatch(/;transport=ws/);
    expect(inbound.headers.get("Via")).toMatch(/^SIP\/2\.0\/WS /);
    expect(inbound.headers.getAll("Record-Route")[0]).toContain(`:${fx.listener.linkusPort};transport=ws;lr`);
    browser.send(browser.answer(inbound, 180, "Ringing"));
    browser.send(browser.answer(inbound, 200, "OK", { headers: [["Contact", browser.contact("302")]] }));
    const ok = await final;
    expect(ok.status).toBe(200);
    // The caller's ACK and BYE follow the signed route back to the socket.
    const route = ok.headers.getAll("Record-Route").reverse();
    const inDialog = (method: string, cseq: number) =>
      desk.build(method, browser.contact("302").slice(1, -1), {
        from: `<sip:${caller.registrationName}@${tenant.slug}>`,
        to: ok.headers.get("To") ?? "",
        callId: invite.headers.get("Call-ID") ?? "",
        cseq,
        headers: route.map((r): [string, string] => ["Route", r]),
      });
    const cseq = Number(/\d+/.exec(ok.headers.get("CSeq") ?? "")?.[0]);
    desk.send(inDialog("ACK", cseq));
    expect((await browser.request("ACK")).headers.get("Call-ID")).toBe(invite.headers.get("Call-ID"));
    desk.send(inDialog("BYE", cseq + 1));
    const bye = await browser.request("BYE");
    browser.send(browser.answer(bye, 200, "OK"));
    expect((await desk.response(`${cseq + 1} BYE`)).status).toBe(200);
  });

  it("refuses a WebSocket without the sip subprotocol and keeps other paths for the Linkus channel", async () => {
    // Act
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${fx.listener.linkusPort}/sip`);
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => resolve(101));
      ws.once("error", () => undefined);
    });
    const linkus = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${fx.listener.linkusPort}/?token=not-a-token`);
      ws.once("close", (code) => resolve(code));
      ws.once("error", () => undefined);
    });
    // Assess
    expect(refused, "RFC 7118 §4.1").toBe(400);
    expect(linkus, "the Linkus hub still answers its own path").toBe(4001);
  });
});
