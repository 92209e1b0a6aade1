import { randomUUID } from "node:crypto";
import { createSocket } from "node:dgram";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RtpEngineClient } from "../../listener/media/rtpengine.js";
import type { SipRequest } from "../../listener/sip/message.js";
import { tagOf } from "../../listener/sip/view.js";
import { type LocalRtpEngine, RTPENGINE, startRtpEngine } from "../../scripts/local/rtpengine.js";
import { freePort } from "../support/global-setup.js";
import { createSipUser, type Fixture, startFixture } from "./support/fixture.js";
import { BROWSER_OFFER, browserOffer, call, inDialog, phoneSdp, portOf, reInvite } from "./support/media-calls.js";
import { Phone } from "./support/phone.js";

if (!RTPENGINE)
  console.warn("rtpengine is not installed (Debian package rtpengine-daemon): the in-dialog relay tests are skipped");

/**
 * Offers inside a call whose media rtpengine bridges (docs/decisions.md D-webrtc-7): hold and
 * resume from either side go through rtpengine, and when rtpengine stops answering nobody is left
 * in a call with no media path.
 */
describe.skipIf(!RTPENGINE)("offers inside relayed dialogs, and rtpengine failing", () => {
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
