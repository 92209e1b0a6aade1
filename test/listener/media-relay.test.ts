import { randomUUID } from "node:crypto";
import { createSocket } from "node:dgram";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RtpEngineClient } from "../../listener/media/rtpengine.js";
import { SipHeaders } from "../../listener/sip/header-fields.js";
import type { SipRequest, SipResponse } from "../../listener/sip/message.js";
import { tagOf } from "../../listener/sip/view.js";
import { type LocalRtpEngine, RTPENGINE, startRtpEngine } from "../../scripts/local/rtpengine.js";
import { freePort } from "../support/global-setup.js";
import { createSipUser, type Fixture, type SipUser, startFixture } from "./support/fixture.js";
import { Phone } from "./support/phone.js";

if (!RTPENGINE)
  console.warn("rtpengine is not installed (Debian package rtpengine-daemon): the relay tests are skipped");

/** What a browser offers (Chromium's shape): ICE, DTLS-SRTP, rtcp-mux, Opus and G.711. */
const BROWSER_OFFER = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "a=msid-semantic: WMS",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126",
  "c=IN IP4 0.0.0.0",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0",
  "a=ice-ufrag:Vw9b",
  "a=ice-pwd:9mNAJbqkgqwYyqvkHvQK2Ff0",
  "a=ice-options:trickle",
  "a=fingerprint:sha-256 0D:FD:2D:8C:D0:84:3F:21:39:13:54:B6:5B:4B:7E:2A:4F:2D:0C:0B:6A:91:08:DC:8E:B5:7F:3A:1E:2F:44:5C",
  "a=setup:actpass",
  "a=mid:0",
  "a=sendrecv",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:126 telephone-event/8000",
  "",
].join("\r\n");

const phoneSdp = (host: string, port: number, direction = "", version = 1) =>
  `v=0\r\no=- 1 ${version} IN IP4 ${host}\r\ns=-\r\nc=IN IP4 ${host}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n${direction ? `a=${direction}\r\n` : ""}`;

/** The browser's offer again with another direction (what JsSIP's hold and unhold send). */
const browserOffer = (direction: string, version: number) =>
  BROWSER_OFFER.replace("a=sendrecv", `a=${direction}`).replace(" 2 IN IP4", ` ${version} IN IP4`);

const portOf = (sdp: string) => Number(/^m=audio (\d+) /m.exec(sdp)?.[1]);

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

  /** Caller invites callee's number with `sdp`; the callee answers 200 with `answer`. */
  async function call(
    caller: Phone,
    from: SipUser,
    calleePhone: Phone,
    to: string,
    slug: string,
    sdp: string,
    answer: string,
  ) {
    const invite = caller.build("INVITE", `sip:${to}@${slug}`, {
      from: `<sip:${from.registrationName}@${slug}>`,
      to: `<sip:${to}@${slug}>`,
      headers: [
        ["Contact", caller.contact(from.registrationName)],
        ["Content-Type", "application/sdp"],
      ],
      body: sdp,
    });
    const final = caller.authenticated(invite, from);
    const inbound: SipRequest = await calleePhone.request("INVITE");
    const ok = calleePhone.answer(inbound, 200, "OK", {
      headers: [
        ["Contact", calleePhone.contact(to)],
        ["Content-Type", "application/sdp"],
      ],
    });
    calleePhone.send({ ...ok, body: Buffer.from(answer) });
    const response: SipResponse = await final;
    return { invite, inbound, response };
  }

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

  /** A browser (401-style session credentials) and a desk phone of a new tenant, both registered. */
  async function browserAndPhone(numbers: [string, string]) {
    const tenant = await fx.api.createTenant();
    const email = `u${numbers[0]}@${tenant.slug}.example.com`;
    await createSipUser(fx.api, tenant, numbers[0], 1, { email, userPassword: "UserPassw0rd" });
    const desk = await createSipUser(fx.api, tenant, numbers[1], 1);
    const login = await fx.api.login(tenant.slug, email, "UserPassw0rd", "web");
    const sip = login.sip as { username: string; password: string };
    const browserUser = {
      id: "",
      number: numbers[0],
      auth: "",
      registrationName: sip.username,
      password: sip.password,
    };
    const phone = await open("udp");
    expect((await phone.register(desk, tenant.slug)).status).toBe(200);
    const browser = async () => {
      const tab = await open("ws");
      expect((await tab.register(browserUser, tenant.slug, { instance: randomUUID(), regId: 1 })).status).toBe(200);
      return tab;
    };
    return { tenant, browserUser, phone, browser };
  }

  /** An in-dialog request from `from` along the dialog's route (the 2xx's Record-Route, reversed for the caller). */
  function inDialog(
    from: Phone,
    method: string,
    dialog: { invite: SipRequest; response: SipResponse },
    options: { callerSide: boolean; cseq: number; body?: string },
  ): SipRequest {
    const { invite, response } = dialog;
    const routes = response.headers.getAll("Record-Route");
    const headers = new SipHeaders().append("Via", from.via).append("Max-Forwards", "70");
    const caller = invite.headers.get("From") ?? "";
    const callee = response.headers.get("To") ?? "";
    headers.append("From", options.callerSide ? caller : callee);
    headers.append("To", options.callerSide ? callee : caller);
    headers.append("Call-ID", invite.headers.get("Call-ID") ?? "");
    headers.append("CSeq", `${options.cseq} ${method}`);
    for (const route of options.callerSide ? [...routes].reverse() : routes) headers.append("Route", route);
    headers.append("Contact", from.contact("x"));
    if (options.body) headers.append("Content-Type", "application/sdp");
    const target = options.callerSide
      ? /<([^>]+)>/.exec(response.headers.get("Contact") ?? "")?.[1]
      : /<([^>]+)>/.exec(invite.headers.get("Contact") ?? "")?.[1];
    return {
      method,
      uri: target ?? "sip:x@invalid",
      version: "SIP/2.0",
      headers,
      body: Buffer.from(options.body ?? ""),
    };
  }

  /** The re-INVITE (an INVITE with a To tag) of `callId` that reached `phone`. */
  const reInvite = (phone: Phone, callId: string) =>
    phone.waitFor(
      () =>
        phone.requests.find(
          (r) =>
            r.method === "INVITE" && r.headers.get("Call-ID") === callId && tagOf(r.headers.get("To")) !== undefined,
        ),
      5_000,
      "re-INVITE",
    );

  /** Plain RTP from the phone's side to rtpengine's port, and rtpengine's count of what it received. */
  async function rtpReachesRelay(callId: string, port: number): Promise<number> {
    const socket = createSocket("udp4");
    const packet = Buffer.alloc(172);
    packet[0] = 0x80; // RTP v2, PCMU
    for (let seq = 0; seq < 20; seq++) {
      packet.writeUInt16BE(seq, 2);
      packet.writeUInt32BE(seq * 160, 4);
      packet.writeUInt32BE(0x1234abcd, 8);
      await new Promise<void>((resolve) => socket.send(packet, port, relay?.mediaAddress, () => resolve()));
    }
    socket.close();
    const client = new RtpEngineClient(relay?.ng ?? { host: "127.0.0.1", port: 1 });
    try {
      const reply = await client.command("query", { "call-id": callId });
      return Number((reply.totals as { RTP?: { packets?: number } } | undefined)?.RTP?.packets ?? 0);
    } finally {
      client.close();
    }
  }

  it("offers and answers a hold and an unhold through rtpengine, from either side, and media still reaches it", async () => {
    // Prepare: a browser calls a desk phone; the call's media is bridged.
    const { tenant, browserUser, phone, browser: openBrowser } = await browserAndPhone(["601", "602"]);
    const browser = await openBrowser();
    const dialog = await call(
      browser,
      browserUser,
      phone,
      "602",
      tenant.slug,
      BROWSER_OFFER,
      phoneSdp("127.0.0.1", 4002),
    );
    expect(dialog.response.status).toBe(200);
    const callId = dialog.invite.headers.get("Call-ID") ?? "";
    const phonePort = portOf(dialog.inbound.body.toString());
    const browserPort = portOf(dialog.response.body.toString());
    const dialogWithCalleeTag = { invite: dialog.invite, response: dialog.response };

    // Act 1: the browser holds (sendonly); the phone answers recvonly.
    const hold = inDialog(browser, "INVITE", dialogWithCalleeTag, {
      callerSide: true,
      cseq: 10,
      body: browserOffer("sendonly", 3),
    });
    browser.send(hold);
    const holdAtPhone = await reInvite(phone, callId);
    phone.send({
      ...phone.answer(holdAtPhone, 200, "OK", {
        headers: [
          ["Contact", phone.contact("602")],
          ["Content-Type", "application/sdp"],
        ],
      }),
      body: Buffer.from(phoneSdp("127.0.0.1", 4002, "recvonly", 2)),
    });
    const holdAnswered = await browser.response("10 INVITE", 200);

    // Assess 1: the phone got rtpengine's plain RTP offer, on the port it already had, held.
    const heldOffer = holdAtPhone.body.toString();
    expect(heldOffer).toContain(`c=IN IP4 ${relay?.mediaAddress}`);
    expect(heldOffer).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(heldOffer).not.toMatch(/a=ice-ufrag|a=fingerprint|a=candidate/);
    expect(heldOffer).toContain("a=sendonly");
    expect(portOf(heldOffer)).toBe(phonePort);
    // The browser got rtpengine's ICE/DTLS answer, not the phone's SDP.
    const heldAnswer = holdAnswered.body.toString();
    expect(heldAnswer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    expect(heldAnswer).toMatch(/a=ice-ufrag:/);
    expect(heldAnswer).toContain("a=recvonly");
    expect(heldAnswer).not.toContain("127.0.0.1 4002");
    expect(portOf(heldAnswer)).toBe(browserPort);

    // Act 2: the phone takes the call off hold itself (a re-INVITE from the callee's side).
    const unhold = inDialog(phone, "INVITE", dialogWithCalleeTag, {
      callerSide: false,
      cseq: 20,
      body: phoneSdp("127.0.0.1", 4002, "sendrecv", 3),
    });
    phone.send(unhold);
    const unholdAtBrowser = await reInvite(browser, callId);
    browser.send({
      ...browser.answer(unholdAtBrowser, 200, "OK", {
        headers: [
          ["Contact", browser.contact(browserUser.registrationName)],
          ["Content-Type", "application/sdp"],
        ],
      }),
      body: Buffer.from(browserOffer("sendrecv", 4).replace("a=setup:actpass", "a=setup:active")),
    });
    const unholdAnswered = await phone.response("20 INVITE", 200);

    // Assess 2: the browser was offered ICE/DTLS-SRTP on its port; the phone answered in plain RTP.
    const offeredToBrowser = unholdAtBrowser.body.toString();
    expect(offeredToBrowser).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    expect(offeredToBrowser).toMatch(/a=fingerprint:sha-256 /);
    expect(offeredToBrowser).not.toContain("127.0.0.1 4002");
    expect(portOf(offeredToBrowser)).toBe(browserPort);
    const answeredToPhone = unholdAnswered.body.toString();
    expect(answeredToPhone).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(answeredToPhone).not.toMatch(/a=ice-ufrag|a=fingerprint/);
    expect(portOf(answeredToPhone)).toBe(phonePort);
    // Media from the phone still lands in rtpengine's call after hold and unhold.
    expect(await rtpReachesRelay(callId, phonePort)).toBeGreaterThanOrEqual(20);
  });

  // Last: it stops rtpengine.
  it("hangs up the side that answered when rtpengine cannot answer, and tells the other side 503", async () => {
    // Prepare: call X is up; the browser puts it on hold (the phone has the offer); call Y rings.
    const { tenant, browserUser, phone, browser: openBrowser } = await browserAndPhone(["701", "702"]);
    const browserX = await openBrowser();
    const browserY = await openBrowser();
    const x = await call(browserX, browserUser, phone, "702", tenant.slug, BROWSER_OFFER, phoneSdp("127.0.0.1", 4002));
    expect(x.response.status).toBe(200);
    browserX.send(inDialog(browserX, "INVITE", x, { callerSide: true, cseq: 10, body: browserOffer("sendonly", 3) }));
    const holdAtPhone = await reInvite(phone, browserX.callId);
    const inviteY = browserY.build("INVITE", `sip:702@${tenant.slug}`, {
      from: `<sip:${browserUser.registrationName}@${tenant.slug}>`,
      to: `<sip:702@${tenant.slug}>`,
      headers: [
        ["Contact", browserY.contact(browserUser.registrationName)],
        ["Content-Type", "application/sdp"],
      ],
      body: BROWSER_OFFER,
    });
    const finalY = browserY.authenticated(inviteY, browserUser);
    const atPhoneY = await phone.waitFor(() =>
      phone.requests.find((r) => r.method === "INVITE" && r.headers.get("Call-ID") === browserY.callId),
    );

    // Act: rtpengine goes; the phone answers both the hold and call Y.
    await relay?.stop();
    const answer = (request: SipRequest, sdp: string) =>
      phone.send({
        ...phone.answer(request, 200, "OK", {
          tag: request === atPhoneY ? "phone-y" : undefined,
          headers: [
            ["Contact", phone.contact("702")],
            ["Content-Type", "application/sdp"],
          ],
        }),
        body: Buffer.from(sdp),
      });
    answer(atPhoneY, phoneSdp("127.0.0.1", 4004));
    answer(holdAtPhone, phoneSdp("127.0.0.1", 4002, "recvonly", 2));
    const [responseY, holdResponse] = await Promise.all([
      finalY,
      browserX.waitFor(
        () => browserX.responses.find((r) => r.headers.get("CSeq") === "10 INVITE" && r.status >= 200),
        10_000,
      ),
    ]);
    const requestOf = (callId: string, method: string) =>
      phone.waitFor(
        () => phone.requests.find((r) => r.method === method && r.headers.get("Call-ID") === callId),
        10_000,
        `${method} of ${callId}`,
      );

    // Assess: each browser heard 503, not a 2xx with a media path that is not there.
    expect(responseY.status).toBe(503);
    expect(holdResponse.status).toBe(503);
    expect(holdResponse.body.length).toBe(0);
    // The phone's 2xx were acknowledged and both calls hung up on its side.
    for (const callId of [browserY.callId, browserX.callId]) {
      const ack = await requestOf(callId, "ACK");
      const bye = await requestOf(callId, "BYE");
      expect(Number(/\d+/.exec(bye.headers.get("CSeq") ?? "")?.[0])).toBe(
        Number(/\d+/.exec(ack.headers.get("CSeq") ?? "")?.[0]) + 1,
      );
      expect(bye.headers.get("Reason")).toMatch(/cause=503/);
    }
    expect(tagOf((await requestOf(browserY.callId, "BYE")).headers.get("To"))).toBe("phone-y");
    // A further re-INVITE is refused at once: the phone is offered nothing it could not use.
    const invitesAtPhone = phone.requests.filter((r) => r.method === "INVITE").length;
    browserX.send(inDialog(browserX, "INVITE", x, { callerSide: true, cseq: 11, body: browserOffer("sendrecv", 4) }));
    expect((await browserX.response("11 INVITE", 503, 10_000)).status).toBe(503);
    expect(phone.requests.filter((r) => r.method === "INVITE")).toHaveLength(invitesAtPhone);
  }, 30_000);
});
