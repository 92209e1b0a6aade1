import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalRtpEngine, RTPENGINE, startRtpEngine } from "../../scripts/local/rtpengine.js";
import { freePort } from "../support/global-setup.js";
import { createSipUser, type Fixture, startFixture } from "./support/fixture.js";
import { BROWSER_OFFER, call, phoneSdp } from "./support/media-calls.js";
import { Phone } from "./support/phone.js";

if (!RTPENGINE)
  console.warn("rtpengine is not installed (Debian package rtpengine-daemon): the relay tests are skipped");

/**
 * The proxy drives rtpengine (ng over UDP) for calls whose media cannot go end to end: a browser
 * and a desk phone (ICE/DTLS-SRTP on one side, plain RTP on the other), and phones behind NAT.
 */
describe.skipIf(!RTPENGINE)("media relay through rtpengine", () => {
  let fx: Fixture;
  let relay: LocalRtpEngine | undefined;
  const phones: Phone[] = [];
  beforeAll(async () => {
    const base = 30_000 + Math.floor(Math.random() * 200) * 100;
    relay = await startRtpEngine({ ngPort: await freePort(), portMin: base, portMax: base + 99 });
    fx = await startFixture({ rtpengine: relay?.ng });
  });
  afterEach(() => {
    for (const phone of phones.splice(0)) phone.close();
  });
  afterAll(async () => {
    await fx?.stop();
    await relay?.stop();
  });

  const open = async (transport: "udp" | "ws") => {
    const phone = await Phone.open(transport === "ws" ? fx.listener.linkusPort : fx.listener.sipPort, transport);
    phones.push(phone);
    return phone;
  };

  it("bridges a browser (ICE, DTLS-SRTP) to a desk phone (plain RTP), each side answered in its own terms", async () => {
    // Prepare: 401 is a browser (Web Client session credentials), 402 a desk phone.
    const tenant = await fx.api.createTenant();
    const email = `u401@${tenant.slug}.example.com`;
    await createSipUser(fx.api, tenant, "401", 1, { email, userPassword: "UserPassw0rd" });
    const desk = await createSipUser(fx.api, tenant, "402", 1);
    const login = await fx.api.login(tenant.slug, email, "UserPassw0rd", "web");
    const sip = login.sip as { username: string; password: string };
    const browserUser = { registrationName: sip.username, password: sip.password };
    const browser = await open("ws");
    expect((await browser.register(browserUser, tenant.slug, { instance: randomUUID(), regId: 1 })).status).toBe(200);
    const phone = await open("udp");
    expect((await phone.register(desk, tenant.slug)).status).toBe(200);
    // Act
    const { inbound, response } = await call(
      browser,
      { ...browserUser, id: "", number: "401", auth: "" },
      phone,
      "402",
      tenant.slug,
      BROWSER_OFFER,
      phoneSdp("127.0.0.1", 4002),
    );
    // Assess: the phone was offered plain RTP on rtpengine's address, without ICE or DTLS.
    const offered = inbound.body.toString();
    expect(offered).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(offered).toContain(`c=IN IP4 ${relay?.mediaAddress}`);
    expect(offered).not.toMatch(/a=ice-ufrag|a=fingerprint|a=candidate/);
    // The browser was answered with ICE, DTLS-SRTP and rtcp-mux on rtpengine's address.
    expect(response.status).toBe(200);
    const answered = response.body.toString();
    expect(answered).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    expect(answered).toMatch(/a=ice-ufrag:/);
    expect(answered).toMatch(/a=fingerprint:sha-256 /);
    expect(answered).toContain("a=rtcp-mux");
    expect(answered).toContain(relay?.mediaAddress ?? "?");
    expect(Number(response.headers.get("Content-Length"))).toBe(response.body.length);
  });

  it("relays a phone behind NAT and leaves public phones end to end", async () => {
    // Prepare: 501 registers a private Contact from its public flow (behind NAT), 502 and 503 are public.
    const tenant = await fx.api.createTenant();
    const nated = await createSipUser(fx.api, tenant, "501", 1);
    const pub = await createSipUser(fx.api, tenant, "502", 1);
    const other = await createSipUser(fx.api, tenant, "503", 1);
    const behindNat = await open("udp");
    const publicPhone = await open("udp");
    const otherPhone = await open("udp");
    expect((await behindNat.register(nated, tenant.slug)).status).toBe(200);
    expect((await publicPhone.register(pub, tenant.slug)).status).toBe(200);
    expect((await otherPhone.register(other, tenant.slug)).status).toBe(200);
    // Act: the NATed phone's SDP names its private address; the public phones' name their own.
    const relayed = await call(
      behindNat,
      nated,
      publicPhone,
      "502",
      tenant.slug,
      phoneSdp("192.168.1.10", 4000),
      phoneSdp("127.0.0.1", 4002),
    );
    const direct = await call(
      publicPhone,
      pub,
      otherPhone,
      "503",
      tenant.slug,
      phoneSdp("127.0.0.1", 4010),
      phoneSdp("127.0.0.1", 4012),
    );
    // Assess
    expect(relayed.inbound.body.toString()).toContain(`c=IN IP4 ${relay?.mediaAddress}`);
    expect(relayed.inbound.body.toString()).not.toContain("192.168.1.10");
    expect(relayed.response.body.toString()).toContain(`c=IN IP4 ${relay?.mediaAddress}`);
    expect(direct.inbound.body.toString(), "untouched").toBe(phoneSdp("127.0.0.1", 4010));
    expect(direct.response.body.toString(), "untouched").toBe(phoneSdp("127.0.0.1", 4012));
  });
});
