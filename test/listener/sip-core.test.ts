import { createSocket } from "node:dgram";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultDeps } from "../../layers/core/deps.js";
import { writeRecord } from "../../layers/core/services/communications.js";
import { SipHeaders } from "../../listener/sip/header-fields.js";
import type { SipRequest, SipResponse } from "../../listener/sip/message.js";
import { uriOfNameAddr } from "../../listener/sip/view.js";
import { bindingsOf, createSipUser, type Fixture, type SipUser, startFixture } from "./support/fixture.js";
import { Phone } from "./support/phone.js";

/**
 * The SIP core against raw sockets: each case is a defect the core once had (open relay, ACKs,
 * retransmissions, NAT collisions, reboots, methods, credentials leaking; docs/listener.md).
 */
describe("SIP core: relay rule, transactions, dialogs, methods", () => {
  let fx: Fixture;
  const phones: Phone[] = [];
  beforeAll(async () => {
    fx = await startFixture({ natPingMs: 400 });
  });
  afterEach(() => {
    for (const phone of phones.splice(0)) phone.close();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const open = async (transport: "udp" | "tcp" = "udp") => {
    const phone = await Phone.open(fx.listener.sipPort, transport);
    phones.push(phone);
    return phone;
  };

  /** A UDP socket that counts what reaches it: the "victim" of a relay attempt. */
  const victim = async () => {
    const socket = createSocket("udp4");
    const received: Buffer[] = [];
    socket.on("message", (data) => received.push(data));
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    return { port: socket.address().port, received, close: () => socket.close() };
  };

  const settle = (ms = 600) => new Promise((resolve) => setTimeout(resolve, ms));
  const listenerRoute = () => `<sip:127.0.0.1:${fx.listener.sipPort};lr>`;

  async function tenantWithUsers(...numbers: string[]) {
    const tenant = await fx.api.createTenant();
    const users: SipUser[] = [];
    for (const number of numbers) users.push(await createSipUser(fx.api, tenant, number, 2));
    return { tenant, users };
  }

  function invite(caller: Phone, from: SipUser, to: SipUser, slug: string, headers: [string, string][] = []) {
    return caller.build("INVITE", `sip:${to.number}@${slug}`, {
      from: `<sip:${from.registrationName}@${slug}>`,
      to: `<sip:${to.number}@${slug}>`,
      headers: [["Contact", caller.contact(from.registrationName)], ["Content-Type", "application/sdp"], ...headers],
      body: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
    });
  }

  /** Caller calls, callee (registered) answers 200 with its Contact: both sides' view of the dialog. */
  async function connectCall(
    caller: Phone,
    callerUser: SipUser,
    callee: Phone,
    calleeUser: SipUser,
    slug: string,
    contactHost?: string,
  ) {
    const request = invite(caller, callerUser, calleeUser, slug);
    const final = caller.authenticated(request, callerUser);
    const inbound = await callee.request("INVITE");
    callee.send(callee.answer(inbound, 180, "Ringing"));
    callee.send(
      callee.answer(inbound, 200, "OK", {
        headers: [["Contact", callee.contact(calleeUser.registrationName, contactHost)]],
      }),
    );
    const ok = await final;
    expect(ok.status).toBe(200);
    return { inbound, ok, invite: request };
  }

  /** An in-dialog request from the caller: the route set is the 200's Record-Route reversed (§12.1.2). */
  function fromCaller(caller: Phone, method: string, ok: SipResponse, original: SipRequest, cseq: number) {
    const headers = new SipHeaders()
      .append("Via", caller.via)
      .append("Max-Forwards", "70")
      .append("From", original.headers.get("From") ?? "")
      .append("To", ok.headers.get("To") ?? "")
      .append("Call-ID", original.headers.get("Call-ID") ?? "")
      .append("CSeq", `${cseq} ${method}`);
    for (const route of ok.headers.getAll("Record-Route").reverse()) headers.append("Route", route);
    const target = uriOfNameAddr(ok.headers.get("Contact") ?? "") ?? "";
    return { method, uri: target, version: "SIP/2.0", headers, body: Buffer.alloc(0) } satisfies SipRequest;
  }

  /** An in-dialog request from the callee: the route set is the INVITE's Record-Route in order. */
  function fromCallee(callee: Phone, method: string, inbound: SipRequest, ok: SipResponse, cseq: number) {
    const headers = new SipHeaders()
      .append("Via", callee.via)
      .append("Max-Forwards", "70")
      .append("From", ok.headers.get("To") ?? "")
      .append("To", inbound.headers.get("From") ?? "")
      .append("Call-ID", inbound.headers.get("Call-ID") ?? "")
      .append("CSeq", `${cseq} ${method}`);
    for (const route of inbound.headers.getAll("Record-Route")) headers.append("Route", route);
    const target = uriOfNameAddr(inbound.headers.get("Contact") ?? "") ?? "";
    return { method, uri: target, version: "SIP/2.0", headers, body: Buffer.alloc(0) } satisfies SipRequest;
  }

  describe("no relay", () => {
    it("handles an unauthenticated MESSAGE routed through the listener as initial: challenged, never sent on", async () => {
      const { tenant } = await tenantWithUsers("501");
      const target = await victim();
      const attacker = await open();
      const message = attacker.build("MESSAGE", `sip:spam@127.0.0.1:${target.port}`, {
        from: `<sip:a@${tenant.slug}>`,
        to: `<sip:spam@127.0.0.1:${target.port}>`,
        headers: [
          ["Route", listenerRoute()],
          ["Content-Type", "text/plain"],
        ],
        body: "buy now",
      });
      attacker.send(message);
      const answer = await attacker.response(message.headers.get("CSeq") ?? "");
      await settle();
      target.close();
      // 127.0.0.1 is no tenant's domain: challenged like any (no oracle), and never forwarded.
      expect(answer.status).toBe(407);
      expect(target.received).toHaveLength(0);
    });

    it("refuses an INVITE with a made-up To tag routed through the listener, and sends nothing on", async () => {
      await tenantWithUsers("502");
      const target = await victim();
      const attacker = await open();
      const forged = attacker.build("INVITE", `sip:toll@127.0.0.1:${target.port}`, {
        from: "<sip:a@evil.example>",
        to: `<sip:toll@127.0.0.1:${target.port}>;tag=madeup`,
        headers: [["Route", listenerRoute()]],
      });
      attacker.send(forged);
      const answer = await attacker.response(forged.headers.get("CSeq") ?? "");
      await settle();
      target.close();
      expect(answer.status).toBe(403);
      expect(target.received).toHaveLength(0);
    });

    it("refuses an in-dialog request whose signed route was altered", async () => {
      const { tenant, users } = await tenantWithUsers("503", "504");
      const [alice, bob] = users as [SipUser, SipUser];
      const caller = await open();
      const callee = await open();
      expect((await callee.register(bob, tenant.slug)).status).toBe(200);
      const { ok, invite: original } = await connectCall(caller, alice, callee, bob, tenant.slug);
      const bye = fromCaller(caller, "BYE", ok, original, 9);
      const route = bye.headers.get("Route") ?? "";
      bye.headers.set(
        "Route",
        route.replace(/cpr=([A-Za-z0-9_-])/, (_m, c: string) => `cpr=${c === "A" ? "B" : "A"}`),
      );
      caller.send(bye);
      expect((await caller.response(`9 BYE`)).status).toBe(403);
      await settle(300);
      expect(callee.requests.filter((r) => r.method === "BYE")).toHaveLength(0);
    });
  });

  describe("transactions", () => {
    it("absorbs the ACK of its own 407 (retransmissions of the 407 stop, nothing is forwarded)", async () => {
      const { tenant, users } = await tenantWithUsers("511", "512");
      const [alice, bob] = users as [SipUser, SipUser];
      const target = await victim();
      const caller = await open();
      const request = invite(caller, alice, bob, tenant.slug, [["Route", listenerRoute()]]);
      caller.send(request);
      const challenge = await caller.response(request.headers.get("CSeq") ?? "");
      expect(challenge.status).toBe(407);
      const ack = caller.ackFor(request, challenge);
      ack.uri = `sip:${bob.number}@127.0.0.1:${target.port}`;
      ack.headers.append("Route", listenerRoute());
      caller.send(ack);
      const before = caller.responses.length;
      await settle(1_800); // Timer G would have resent the 407 at 0.5 and 1.5 s
      target.close();
      expect(caller.responses.length).toBe(before);
      expect(target.received).toHaveLength(0);
    });

    it("retransmits its 407 over UDP until the ACK comes (Timer G)", async () => {
      const { tenant, users } = await tenantWithUsers("513", "514");
      const [alice, bob] = users as [SipUser, SipUser];
      const caller = await open();
      const request = invite(caller, alice, bob, tenant.slug);
      caller.send(request);
      await caller.response(request.headers.get("CSeq") ?? "");
      await settle(1_700);
      const challenges = caller.responses.filter((r) => r.status === 407);
      expect(challenges.length).toBeGreaterThanOrEqual(2);
    });

    it("absorbs an INVITE retransmitted at once: the callee rings once and the caller gets no second challenge", async () => {
      const { tenant, users } = await tenantWithUsers("515", "516");
      const [alice, bob] = users as [SipUser, SipUser];
      const caller = await open();
      const callee = await open();
      expect((await callee.register(bob, tenant.slug)).status).toBe(200);
      const first = invite(caller, alice, bob, tenant.slug);
      caller.send(first);
      const challenge = await caller.response(first.headers.get("CSeq") ?? "");
      caller.send(caller.ackFor(first, challenge));
      const { answerChallenge } = await import("./support/udp-client.js");
      const retry = caller.copy(first, { cseq: 2 });
      retry.headers.append(
        "Proxy-Authorization",
        answerChallenge(
          challenge.headers.get("Proxy-Authenticate") ?? "",
          alice.registrationName,
          alice.password,
          "INVITE",
          first.uri,
        ),
      );
      caller.send(retry);
      caller.send(retry); // before any answer: the same transaction
      const trying = await caller.response("2 INVITE", 100);
      expect(trying.status).toBe(100);
      const inbound = await callee.request("INVITE");
      callee.send(callee.answer(inbound, 180, "Ringing"));
      await settle(800);
      expect(callee.requests.filter((r) => r.method === "INVITE")).toHaveLength(1);
      expect(caller.responses.filter((r) => r.headers.get("CSeq") === "2 INVITE" && r.status >= 300)).toHaveLength(0);
      callee.send(callee.answer(inbound, 486, "Busy Here"));
      expect((await caller.response("2 INVITE")).status).toBe(486);
    });

    it("finds the INVITE transaction for a CANCEL sent at once, and answers the INVITE 487", async () => {
      const { tenant, users } = await tenantWithUsers("517", "518");
      const [alice, bob] = users as [SipUser, SipUser];
      const caller = await open();
      const request = invite(caller, alice, bob, tenant.slug);
      caller.send(request);
      const cancel = caller.build("CANCEL", request.uri, {
        from: request.headers.get("From")?.replace(/;tag=.*/, "") ?? "",
        to: request.headers.get("To") ?? "",
        cseq: 1,
      });
      cancel.headers.set("Via", request.headers.get("Via") ?? "");
      caller.send(cancel);
      expect((await caller.response("1 CANCEL")).status).toBe(200);
      expect((await caller.response("1 INVITE")).status).toBe(487);
    });

    it("relays retransmitted in-dialog requests with the same branch, and new ones with a new branch", async () => {
      const { tenant, users } = await tenantWithUsers("521", "522");
      const [alice, bob] = users as [SipUser, SipUser];
      const caller = await open();
      const callee = await open();
      expect((await callee.register(bob, tenant.slug)).status).toBe(200);
      const { ok, invite: original } = await connectCall(caller, alice, callee, bob, tenant.slug);
      const info = fromCaller(caller, "INFO", ok, original, 5);
      caller.send(info);
      caller.send(info);
      const again = fromCaller(caller, "INFO", ok, original, 6);
      caller.send(again);
      await callee.request("INFO", 2);
      const branches = callee.requests.filter((r) => r.method === "INFO").map((r) => r.headers.get("Via"));
      expect(branches[0]).toBe(branches[1]);
      expect(branches[2]).not.toBe(branches[0]);
      // The callee's answer goes back to the caller through the listener.
      const first = callee.requests.find((r) => r.method === "INFO") as SipRequest;
      callee.send(callee.answer(first, 200, "OK"));
      expect((await caller.response("5 INFO")).status).toBe(200);
    });
  });

  describe("dialogs reach the right device", () => {
    it("routes ACK and BYE by the dialog's flow when two phones register the same private Contact", async () => {
      const { tenant, users } = await tenantWithUsers("531", "532", "533");
      const [alice, bob, carol] = users as [SipUser, SipUser, SipUser];
      const caller = await open();
      const bobPhone = await open();
      const carolPhone = await open();
      // Both "behind NAT" with the same private Contact: only their source ports differ.
      expect((await bobPhone.register(bob, tenant.slug, { contactHost: "192.168.1.10:5060" })).status).toBe(200);
      expect((await carolPhone.register(carol, tenant.slug, { contactHost: "192.168.1.10:5060" })).status).toBe(200);
      const { ok, invite: original } = await connectCall(
        caller,
        alice,
        bobPhone,
        bob,
        tenant.slug,
        "192.168.1.10:5060",
      );
      expect(uriOfNameAddr(ok.headers.get("Contact") ?? "")).toContain("192.168.1.10:5060");
      caller.send(fromCaller(caller, "ACK", ok, original, 2));
      caller.send(fromCaller(caller, "BYE", ok, original, 3));
      await bobPhone.request("BYE");
      expect(bobPhone.requests.filter((r) => r.method === "ACK")).toHaveLength(1);
      expect(carolPhone.requests).toHaveLength(0);
    });

    it("carries a call from a TCP caller to a UDP callee with a double Record-Route (RFC 5658): ACK and BYE arrive", async () => {
      const { tenant, users } = await tenantWithUsers("534", "535");
      const [alice, bob] = users as [SipUser, SipUser];
      const caller = await open("tcp");
      const callee = await open("udp");
      expect((await callee.register(bob, tenant.slug)).status).toBe(200);
      const { inbound, ok, invite: original } = await connectCall(caller, alice, callee, bob, tenant.slug);
      const recordRoutes = inbound.headers.getAll("Record-Route");
      expect(recordRoutes).toHaveLength(2);
      expect(recordRoutes[0]).toContain("transport=udp");
      expect(recordRoutes[1]).toContain("transport=tcp");
      caller.send(fromCaller(caller, "ACK", ok, original, 2));
      await callee.request("ACK");
      // The callee hangs up: its BYE reaches the caller over the caller's TCP connection.
      callee.send(fromCallee(callee, "BYE", inbound, ok, 1));
      const bye = await caller.request("BYE");
      caller.send(caller.answer(bye, 200, "OK"));
      expect((await callee.response("1 BYE")).status).toBe(200);
    });

    it("strips the caller's Proxy-Authorization from the INVITE and from in-dialog requests", async () => {
      const { tenant, users } = await tenantWithUsers("536", "537");
      const [alice, bob] = users as [SipUser, SipUser];
      const caller = await open();
      const callee = await open();
      expect((await callee.register(bob, tenant.slug)).status).toBe(200);
      const { inbound, ok, invite: original } = await connectCall(caller, alice, callee, bob, tenant.slug);
      expect(inbound.headers.has("Proxy-Authorization")).toBe(false);
      const bye = fromCaller(caller, "BYE", ok, original, 3);
      bye.headers.append("Proxy-Authorization", `Digest username="${alice.registrationName}", realm="${tenant.slug}"`);
      caller.send(bye);
      const relayed = await callee.request("BYE");
      expect(relayed.headers.has("Proxy-Authorization")).toBe(false);
    });
  });

  describe("registrar", () => {
    it("lets a rebooted phone (same +sip.instance, new port) replace its binding, and still refuses a second device", async () => {
      const tenant = await fx.api.createTenant();
      const user = await createSipUser(fx.api, tenant, "541", 1);
      const instance = "0f2a4b6c-1111-4222-8333-944445555666";
      const before = await open();
      expect((await before.register(user, tenant.slug, { instance })).status).toBe(200);
      const rebooted = await open();
      expect((await rebooted.register(user, tenant.slug, { instance })).status).toBe(200);
      const bindings = await bindingsOf(tenant.id, user.id);
      expect(bindings).toHaveLength(1);
      expect(bindings[0]?.flow.port).toBe(rebooted.port);
      const other = await open();
      const refused = await other.register(user, tenant.slug, { instance: "99999999-2222-4333-8444-955556666777" });
      expect(refused.status).toBe(403);
      expect(refused.reason).toBe("Concurrent registration limit reached");
    });

    it("applies a changed SIP password within about a second (directory version), without a per-entry TTL", async () => {
      const tenant = await fx.api.createTenant();
      const user = await createSipUser(fx.api, tenant, "543");
      const phone = await open();
      expect((await phone.register(user, tenant.slug)).status).toBe(200);
      const loads = fx.listener.directory.stats.loads;
      for (let i = 0; i < 3; i++) expect((await phone.register(user, tenant.slug)).status).toBe(200);
      expect(fx.listener.directory.stats.loads).toBe(loads); // refreshes read nothing but the version
      const changed = await fx.api.request("PATCH", `/api/v1/extensions/${user.id}`, {
        token: tenant.token,
        body: { registrationPassword: "NewSipPassw0rd9" },
      });
      expect(changed.status, JSON.stringify(changed.body)).toBe(200);
      await settle(1_300);
      expect((await phone.register(user, tenant.slug)).status).toBe(401);
      expect((await phone.register({ ...user, password: "NewSipPassw0rd9" }, tenant.slug)).status).toBe(200);
    });

    it("keeps a NATed UDP phone's pinhole open with CRLF keep-alives, and leaves a phone on its own address alone", async () => {
      const tenant = await fx.api.createTenant();
      const natted = await createSipUser(fx.api, tenant, "544");
      const direct = await createSipUser(fx.api, tenant, "545");
      const behindNat = await open();
      const onItsAddress = await open();
      expect((await behindNat.register(natted, tenant.slug, { contactHost: "192.168.1.10:5060" })).status).toBe(200);
      expect((await onItsAddress.register(direct, tenant.slug)).status).toBe(200);
      await settle(1_000);
      expect(behindNat.pings).toBeGreaterThanOrEqual(1);
      expect(onItsAddress.pings).toBe(0);
    });

    it("lets a phone that keeps its Call-ID across a restart replace its binding", async () => {
      const tenant = await fx.api.createTenant();
      const user = await createSipUser(fx.api, tenant, "542", 1);
      const callId = "boot-cycle-call-id";
      expect((await (await open()).register(user, tenant.slug, { callId })).status).toBe(200);
      const restarted = await open();
      expect((await restarted.register(user, tenant.slug, { callId })).status).toBe(200);
      expect((await bindingsOf(tenant.id, user.id))[0]?.flow.port).toBe(restarted.port);
    });
  });

  describe("methods phones send", () => {
    it("answers OPTIONS with Allow, PUBLISH and unknown methods with 405, and BYE outside a dialog with 481", async () => {
      const { tenant } = await tenantWithUsers("551");
      const phone = await open();
      const ask = (method: string) => {
        const request = phone.build(method, `sip:${tenant.slug}`, {
          from: `<sip:x@${tenant.slug}>`,
          to: `<sip:${tenant.slug}>`,
        });
        phone.send(request);
        return phone.response(request.headers.get("CSeq") ?? "");
      };
      const options = await ask("OPTIONS");
      expect(options.status).toBe(200);
      expect(options.headers.getAll("Allow")).toContain("SUBSCRIBE");
      expect((await ask("PUBLISH")).status).toBe(405);
      const unknown = await ask("FROBNICATE");
      expect(unknown.status).toBe(405);
      expect(unknown.headers.getAll("Allow")).toContain("INVITE");
      expect((await ask("BYE")).status).toBe(481);
    });

    it("relays an authenticated MESSAGE from a phone using an outbound proxy, without its credentials", async () => {
      const { tenant, users } = await tenantWithUsers("552", "553");
      const [alice, bob] = users as [SipUser, SipUser];
      const sender = await open();
      const receiver = await open();
      expect((await receiver.register(bob, tenant.slug)).status).toBe(200);
      const message = sender.build("MESSAGE", `sip:${bob.number}@${tenant.slug}`, {
        from: `<sip:${alice.registrationName}@${tenant.slug}>`,
        to: `<sip:${bob.number}@${tenant.slug}>`,
        headers: [
          ["Route", listenerRoute()],
          ["Content-Type", "text/plain"],
        ],
        body: "lunch?",
      });
      const done = sender.authenticated(message, alice);
      const delivered = await receiver.request("MESSAGE");
      expect(delivered.body.toString()).toBe("lunch?");
      expect(delivered.headers.has("Proxy-Authorization")).toBe(false);
      receiver.send(receiver.answer(delivered, 200, "OK"));
      expect((await done).status).toBe(200);
    });

    it("answers a BLF SUBSCRIBE (dialog) and NOTIFYs idle, then ringing", async () => {
      const { tenant, users } = await tenantWithUsers("554", "555", "556");
      const [watcher, watched, caller] = users as [SipUser, SipUser, SipUser];
      const phone = await open();
      const watchedPhone = await open();
      expect((await watchedPhone.register(watched, tenant.slug)).status).toBe(200);
      const subscribe = phone.build("SUBSCRIBE", `sip:${watched.number}@${tenant.slug}`, {
        from: `<sip:${watcher.registrationName}@${tenant.slug}>`,
        to: `<sip:${watched.number}@${tenant.slug}>`,
        headers: [
          ["Event", "dialog"],
          ["Accept", "application/dialog-info+xml"],
          ["Contact", phone.contact(watcher.registrationName)],
          ["Expires", "600"],
        ],
      });
      const accepted = await phone.authenticated(subscribe, watcher);
      expect(accepted.status).toBe(200);
      expect(accepted.headers.get("Expires")).toBe("600");
      const idle = await phone.request("NOTIFY");
      phone.send(phone.answer(idle, 200, "OK"));
      expect(idle.headers.get("Subscription-State")).toMatch(/^active/);
      expect(idle.body.toString()).not.toContain("<dialog ");
      // A call rings the watched extension: the watcher hears of it.
      const callerPhone = await open();
      void callerPhone.authenticated(invite(callerPhone, caller, watched, tenant.slug), caller);
      const inbound = await watchedPhone.request("INVITE");
      watchedPhone.send(watchedPhone.answer(inbound, 180, "Ringing"));
      const ringing = await phone.request("NOTIFY", 1);
      phone.send(phone.answer(ringing, 200, "OK"));
      expect(ringing.body.toString()).toContain("<state>early</state>");
      watchedPhone.send(watchedPhone.answer(inbound, 486, "Busy Here"));
      // Unsubscribe inside the dialog: 200 and a terminated NOTIFY.
      const tag = /tag=([^;>]+)/.exec(accepted.headers.get("To") ?? "")?.[1];
      const unsubscribe = phone.build("SUBSCRIBE", `sip:${watched.number}@${tenant.slug}`, {
        from: `<sip:${watcher.registrationName}@${tenant.slug}>`,
        to: `<sip:${watched.number}@${tenant.slug}>;tag=${tag}`,
        callId: subscribe.headers.get("Call-ID") ?? "",
        headers: [
          ["Event", "dialog"],
          ["Expires", "0"],
        ],
      });
      phone.send(unsubscribe);
      expect((await phone.response(unsubscribe.headers.get("CSeq") ?? "")).status).toBe(200);
      const last = await phone.waitFor(() =>
        phone.requests.find(
          (r) => r.method === "NOTIFY" && /terminated/.test(r.headers.get("Subscription-State") ?? ""),
        ),
      );
      expect(last.headers.get("Subscription-State")).toContain("terminated");
    });

    it("answers an MWI SUBSCRIBE (message-summary) with the voicemail counts, and refuses another's mailbox", async () => {
      const { tenant, users } = await tenantWithUsers("557", "558");
      const [owner, other] = users as [SipUser, SipUser];
      const deps = defaultDeps();
      const voicemail = (read: boolean) =>
        writeRecord(deps, tenant.id, owner.id, {
          kind: "voicemail",
          name: "Caller",
          number: "999",
          receivedAt: new Date().toISOString(),
          durationSeconds: 5,
          read,
        } as never);
      await voicemail(false);
      await voicemail(false);
      await voicemail(true);
      const phone = await open();
      const subscribe = (user: SipUser, mailbox: string) =>
        phone.build("SUBSCRIBE", `sip:${mailbox}@${tenant.slug}`, {
          from: `<sip:${user.registrationName}@${tenant.slug}>`,
          to: `<sip:${mailbox}@${tenant.slug}>`,
          headers: [
            ["Event", "message-summary"],
            ["Contact", phone.contact(user.registrationName)],
          ],
        });
      expect((await phone.authenticated(subscribe(owner, owner.number), owner)).status).toBe(200);
      const notify = await phone.request("NOTIFY");
      phone.send(phone.answer(notify, 200, "OK"));
      expect(notify.headers.get("Content-Type")).toBe("application/simple-message-summary");
      expect(notify.body.toString()).toContain("Messages-Waiting: yes");
      expect(notify.body.toString()).toContain("Voice-Message: 2/1");
      expect((await phone.authenticated(subscribe(other, owner.number), other)).status).toBe(403);
    });

    it("answers 489 with Allow-Events for an event package it does not serve", async () => {
      const { tenant } = await tenantWithUsers("559");
      const phone = await open();
      const request = phone.build("SUBSCRIBE", `sip:559@${tenant.slug}`, {
        from: `<sip:x@${tenant.slug}>`,
        to: `<sip:559@${tenant.slug}>`,
        headers: [["Event", "presence"]],
      });
      phone.send(request);
      const answer = await phone.response(request.headers.get("CSeq") ?? "");
      expect(answer.status).toBe(489);
      expect(answer.headers.getAll("Allow-Events")).toContain("dialog");
    });
  });
});
