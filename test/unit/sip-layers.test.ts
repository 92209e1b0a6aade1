import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Identity } from "../../listener/auth/authenticator.js";
import type { ExtensionInfo, TenantInfo } from "../../listener/directory.js";
import { ngAddresses } from "../../listener/main.js";
import { MediaRelay } from "../../listener/media/media-relay.js";
import { RtpEngineClient } from "../../listener/media/rtpengine.js";
import { RouteSigner } from "../../listener/proxy/record-route.js";
import { StatelessBranches, upstreamOf } from "../../listener/proxy/stateless.js";
import { LIMIT_REASON, Registrar } from "../../listener/registrar/registrar.js";
import type { SipRequest } from "../../listener/sip/message.js";
import { parseMessage } from "../../listener/sip/parser.js";
import { buildResponse } from "../../listener/sip/serialize.js";
import { parseVia } from "../../listener/sip/via.js";
import { InviteServerTransactions } from "../../listener/transaction/invite-server.js";
import { NonInviteServerTransactions } from "../../listener/transaction/non-invite-server.js";
import type { Flow } from "../../listener/transport/flow.js";
import { MemoryBindings } from "../listener/support/memory-bindings.js";

/** The listener's layers with no sockets and no DynamoDB: `send` is a list, time is faked. */

const phone: Flow = { transport: "udp", address: "198.51.100.7", port: 5062 };

function request(method: string, extra: string[] = [], branch = "z9hG4bK-abc"): SipRequest {
  const text = [
    `${method} sip:302@acme SIP/2.0`,
    `Via: SIP/2.0/UDP 192.168.1.10:5062;branch=${branch};rport`,
    "Max-Forwards: 70",
    "From: <sip:301@acme>;tag=caller1",
    "To: <sip:302@acme>",
    "Call-ID: call-1",
    `CSeq: 1 ${method}`,
    ...extra,
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return parseMessage(text) as SipRequest;
}

describe("INVITE server transactions (RFC 3261 §17.2.1)", () => {
  let sent: Buffer[];
  let transactions: InviteServerTransactions;
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    transactions = new InviteServerTransactions({ send: (_flow, data) => sent.push(data) });
  });
  afterEach(() => {
    transactions.close();
    vi.useRealTimers();
  });
  const statuses = () => sent.map((data) => data.toString().split(" ")[1]);

  it("answers 100 Trying at once and absorbs a retransmission by resending the last response", () => {
    const tx = transactions.receive(request("INVITE"), phone);
    expect(tx).toBeDefined();
    expect(statuses()).toEqual(["100"]);
    expect(transactions.receive(request("INVITE"), phone)).toBeUndefined();
    expect(statuses()).toEqual(["100", "100"]);
  });

  it("retransmits a non-2xx final over UDP with T1 doubling until the ACK, which it absorbs", () => {
    const invite = request("INVITE");
    const tx = transactions.receive(invite, phone);
    if (!tx) throw new Error("no transaction");
    transactions.respond(tx, buildResponse(invite, 407, "Proxy Authentication Required"));
    vi.advanceTimersByTime(500);
    vi.advanceTimersByTime(1_000);
    expect(statuses()).toEqual(["100", "407", "407", "407"]);
    expect(transactions.ack(request("ACK"))).toBe(true);
    vi.advanceTimersByTime(10_000);
    expect(statuses()).toHaveLength(4);
    // A retransmitted INVITE after the final gets the final again, not a new transaction.
    expect(transactions.receive(invite, phone)).toBeUndefined();
    expect(statuses().at(-1)).toBe("407");
  });

  it("does not absorb an ACK after a 2xx (it belongs to the dialog) and forgets the transaction after Timer L", () => {
    const invite = request("INVITE");
    const tx = transactions.receive(invite, phone);
    if (!tx) throw new Error("no transaction");
    transactions.respond(tx, buildResponse(invite, 200, "OK"));
    expect(transactions.ack(request("ACK"))).toBe(false);
    expect(transactions.size).toBe(1);
    vi.advanceTimersByTime(32_001);
    expect(transactions.size).toBe(0);
  });

  it("finds the transaction for a CANCEL in every state and cancels only while proceeding", () => {
    const invite = request("INVITE");
    const tx = transactions.receive(invite, phone);
    if (!tx) throw new Error("no transaction");
    const onCancel = vi.fn();
    tx.onCancel = onCancel;
    expect(transactions.find(request("CANCEL"))).toBe(tx);
    expect(transactions.cancel(tx)).toBe(true);
    expect(onCancel).toHaveBeenCalledOnce();
    transactions.respond(tx, buildResponse(invite, 487, "Request Terminated"));
    expect(transactions.find(request("CANCEL"))).toBe(tx);
    expect(transactions.cancel(tx)).toBe(false);
  });

  it("keys RFC 2543 requests without a magic cookie by Call-ID, CSeq, From tag and sent-by", () => {
    const old = request("INVITE", [], "oldstyle");
    const tx = transactions.receive(old, phone);
    expect(tx?.key).toMatch(/^2543\|call-1\|1\|caller1\|/);
  });
});

describe("non-INVITE server transactions (RFC 3261 §17.2.2)", () => {
  it("absorbs a retransmission while handled, answers it again until Timer J, then handles anew", () => {
    let now = 0;
    const sent: string[] = [];
    const transactions = new NonInviteServerTransactions(
      (_flow, data) => sent.push(data.toString()),
      () => now,
    );
    const register = request("REGISTER");
    expect(transactions.receive(register, phone)).toBe(true);
    expect(transactions.receive(register, phone)).toBe(false);
    expect(sent).toHaveLength(0);
    transactions.complete(register, phone, Buffer.from("SIP/2.0 200 OK"));
    expect(transactions.receive(register, phone)).toBe(false);
    expect(sent).toEqual(["SIP/2.0 200 OK"]);
    now += 32_001;
    expect(transactions.receive(register, phone)).toBe(true);
  });

  it("stays bounded under a flood of distinct branches", () => {
    const transactions = new NonInviteServerTransactions(() => {}, Date.now, 100);
    for (let i = 0; i < 1_000; i++) {
      const r = request("OPTIONS", [], `z9hG4bK-${i}`);
      transactions.receive(r, phone);
      transactions.complete(r, phone, Buffer.from("ok"));
    }
    expect(transactions.size).toBeLessThanOrEqual(100);
  });
});

describe("signed dialog routes", () => {
  const own = { host: "sip.example.net", port: () => 5060 };
  const signer = new RouteSigner(Buffer.alloc(32, 7), own, () => 1_000_000);
  const caller: Flow = { transport: "tcp", address: "203.0.113.5", port: 40_001 };
  const callee: Flow = { transport: "udp", address: "198.51.100.9", port: 5060 };
  const route = { callerTag: "caller1", caller, callee, issuedAtMs: 1_000_000 };

  it("writes one Record-Route for one transport and two when the transports differ (RFC 5658)", () => {
    expect(signer.recordRoutes("call-1", { ...route, caller: { ...caller, transport: "udp" } })).toHaveLength(1);
    const [toCallee, toCaller] = signer.recordRoutes("call-1", route);
    expect(toCallee).toContain("transport=udp");
    expect(toCaller).toContain("transport=tcp");
  });

  it("verifies a route for its own Call-ID and tags, telling the direction", () => {
    const [entry] = signer.recordRoutes("call-1", route);
    if (!entry) throw new Error("no entry");
    expect(signer.verify(entry, "call-1", "caller1", "callee9")).toMatchObject({ fromCaller: true, route: { callee } });
    expect(signer.verify(entry, "call-1", "callee9", "caller1")).toMatchObject({
      fromCaller: false,
      route: { caller },
    });
    expect(signer.verify(entry, "call-2", "caller1", undefined)).toBeUndefined();
    expect(signer.verify(entry, "call-1", "someone", "else")).toBeUndefined();
  });

  it("refuses a route signed with another key, a tampered token, or one older than its lifetime", () => {
    const [entry] = signer.recordRoutes("call-1", route);
    if (!entry) throw new Error("no entry");
    const other = new RouteSigner(Buffer.alloc(32, 8), own, () => 1_000_000);
    expect(other.verify(entry, "call-1", "caller1", undefined)).toBeUndefined();
    const tampered = entry.replace(/cpr=([^;]+)/, (_m, token: string) => {
      const text = Buffer.from(token, "base64url").toString().replace("198.51.100.9", "192.0.2.66");
      return `cpr=${Buffer.from(text).toString("base64url")}`;
    });
    expect(signer.verify(tampered, "call-1", "caller1", undefined)).toBeUndefined();
    const later = new RouteSigner(Buffer.alloc(32, 7), own, () => 1_000_000 + 49 * 3600_000);
    expect(later.verify(entry, "call-1", "caller1", undefined)).toBeUndefined();
  });

  it("carries the media-relayed mark under the signature (a route without it is end to end)", () => {
    const [relayed] = signer.recordRoutes("call-1", { ...route, media: true });
    const [direct] = signer.recordRoutes("call-1", route);
    if (!relayed || !direct) throw new Error("no entry");
    expect(signer.verify(relayed, "call-1", "caller1", undefined)?.route.media).toBe(true);
    expect(signer.verify(direct, "call-1", "caller1", undefined)?.route.media).toBe(false);
    const unmarked = relayed.replace(/cpr=([^;]+)/, (_m, token: string) => {
      const text = Buffer.from(token, "base64url").toString().replace(/\nm$/, "");
      return `cpr=${Buffer.from(text).toString("base64url")}`;
    });
    expect(unmarked).not.toBe(relayed);
    expect(signer.verify(unmarked, "call-1", "caller1", undefined)).toBeUndefined();
  });

  it("knows its own address on any of its transports and nothing else", () => {
    expect(signer.isOwn("<sip:sip.example.net:5060;lr>")).toBe(true);
    expect(signer.isOwn("<sip:sip.example.net;lr>")).toBe(true);
    expect(signer.isOwn("<sip:evil.example:5060;lr>")).toBe(false);
    expect(signer.isOwn("<sip:sip.example.net:5070;lr>")).toBe(false);
  });
});

describe("stateless branches (RFC 3261 §16.11)", () => {
  const branches = new StatelessBranches(Buffer.alloc(32, 3));
  const incomingVia = "SIP/2.0/UDP 192.168.1.10:5062;branch=z9hG4bK-abc;rport=4000;received=198.51.100.7";

  it("derives the same branch for a retransmission and another for another request", () => {
    const bye = request("BYE");
    expect(branches.branchFor(bye, incomingVia)).toBe(branches.branchFor(request("BYE"), incomingVia));
    expect(branches.branchFor(request("INFO"), incomingVia)).not.toBe(branches.branchFor(bye, incomingVia));
  });

  it("relays a response upstream only when its branch was derived for its second Via", () => {
    const bye = request("BYE");
    const branch = branches.branchFor(bye, incomingVia);
    const response = buildResponse(bye, 200, "OK");
    response.headers.set("Via", `SIP/2.0/UDP sip.example.net:5060;branch=${branch}`);
    response.headers.append("Via", incomingVia);
    expect(upstreamOf(branches, response, branch, parseVia)?.flow).toEqual({
      transport: "udp",
      address: "198.51.100.7",
      port: 4000,
    });
    const forged = buildResponse(bye, 200, "OK");
    forged.headers.set("Via", `SIP/2.0/UDP sip.example.net:5060;branch=${branch}`);
    forged.headers.append("Via", "SIP/2.0/UDP victim.example:9999;branch=z9hG4bK-x");
    expect(upstreamOf(branches, forged, branch, parseVia)).toBeUndefined();
  });

  it("marks the branch of a request whose offer went through rtpengine, and the mark cannot be added or removed", () => {
    // Prepare
    const reInvite = request("INVITE");
    const marked = branches.branchFor(reInvite, incomingVia, true);
    const plain = branches.branchFor(reInvite, incomingVia);
    const responseOn = (branch: string) => {
      const response = buildResponse(reInvite, 200, "OK");
      response.headers.set("Via", `SIP/2.0/UDP sip.example.net:5060;branch=${branch}`);
      response.headers.append("Via", incomingVia);
      return response;
    };
    // Act / Assess
    expect(upstreamOf(branches, responseOn(marked), marked, parseVia)?.media).toBe(true);
    expect(upstreamOf(branches, responseOn(plain), plain, parseVia)?.media).toBe(false);
    expect(upstreamOf(branches, responseOn(`${plain}.m`), `${plain}.m`, parseVia)).toBeUndefined();
    const stripped = marked.slice(0, -2);
    expect(upstreamOf(branches, responseOn(stripped), stripped, parseVia)).toBeUndefined();
  });
});

describe("RTPENGINE_NG", () => {
  it("reads one ng address or several, and refuses anything else naming the variable", () => {
    expect(ngAddresses(undefined)).toBeUndefined();
    expect(ngAddresses("127.0.0.1:2223")).toEqual([{ host: "127.0.0.1", port: 2223 }]);
    expect(ngAddresses("10.0.0.10:2223, 10.0.1.10:2223,[fd00::1]:2223")).toEqual([
      { host: "10.0.0.10", port: 2223 },
      { host: "10.0.1.10", port: 2223 },
      { host: "fd00::1", port: 2223 },
    ]);
    for (const bad of ["10.0.0.10", "10.0.0.10:0", "10.0.0.10:2223,", "host:99999"]) {
      expect(() => ngAddresses(bad), bad).toThrow(/RTPENGINE_NG/);
    }
  });

  it("sends every command of one call to the same rtpengine, and spreads calls over them", () => {
    const clients = [0, 1, 2].map((i) => new RtpEngineClient({ host: "127.0.0.1", port: 2000 + i }));
    const relay = new MediaRelay(clients);
    const used = new Set<RtpEngineClient>();
    for (let i = 0; i < 60; i++) {
      const callId = `call-${i}@example`;
      expect(relay.clientFor(callId)).toBe(new MediaRelay(clients).clientFor(callId));
      used.add(relay.clientFor(callId));
    }
    expect(used.size).toBe(3);
  });
});

describe("registrar with an in-memory binding store", () => {
  const tenant: TenantInfo = { id: "t1", name: "Acme", slug: "acme", active: true, digestAlgorithms: undefined };
  const extension = {
    tenantId: "t1",
    id: "e1",
    number: "302",
    name: "Bob",
    registrationName: "bob302",
    concurrentRegistrations: 1,
    credentialVersion: 1,
    password: "x",
  } as ExtensionInfo;
  const identity: Identity = { extension, kind: "phone" };
  let now = 1_000_000;
  const store = new MemoryBindings(() => now);
  const changes: string[] = [];
  const registrar = new Registrar({
    bindings: store,
    taskId: "task",
    minExpires: 60,
    maxExpires: 3600,
    defaultExpires: 3600,
    now: () => now,
    onChange: async (_t, e) => {
      changes.push(e);
    },
  });
  const register = (contact: string, options: { callId?: string; expires?: string; to?: string } = {}) => {
    const r = request("REGISTER", [`Contact: ${contact}`, `Expires: ${options.expires ?? "300"}`]);
    r.headers.set("To", options.to ?? "<sip:bob302@acme>");
    r.headers.set("Call-ID", options.callId ?? `c-${contact}`);
    return registrar.register(r, phone, tenant, identity);
  };
  beforeEach(() => {
    store.items.clear();
    changes.length = 0;
  });

  it("binds, refreshes without a presence change, and refuses a second device at the limit", async () => {
    const first = await register("<sip:bob302@192.168.1.10:5062>");
    expect(first.status).toBe(200);
    expect(changes).toEqual(["e1"]);
    now += 60_000;
    expect((await register("<sip:bob302@192.168.1.10:5062>")).status).toBe(200);
    expect(changes).toEqual(["e1"]); // a refresh is not a change
    const second = await register("<sip:bob302@10.0.0.8:5060>");
    expect(second).toMatchObject({ status: 403, reason: LIMIT_REASON });
  });

  it("lets the same device replace its binding after a reboot: same +sip.instance, or same Call-ID", async () => {
    const instance = ';+sip.instance="<urn:uuid:00000000-0000-4000-8000-000000000001>"';
    await register(`<sip:bob302@192.168.1.10:5062>${instance}`, { callId: "boot-1" });
    const rebooted = await register(`<sip:bob302@192.168.1.10:5099>${instance}`, { callId: "boot-2" });
    expect(rebooted.status).toBe(200);
    expect(rebooted.headers?.map(([, v]) => v)).toEqual([expect.stringContaining(":5099>")]);
    const sameCallId = await register("<sip:bob302@192.168.1.10:6000>", { callId: "boot-2" });
    expect(sameCallId.status).toBe(200);
    expect([...store.items.values()]).toHaveLength(1);
  });

  it("answers 423 below Min-Expires, 403 for another address of record, and removes with Expires: 0", async () => {
    expect(await register("<sip:bob302@192.168.1.10:5062>", { expires: "30" })).toMatchObject({
      status: 423,
      headers: [["Min-Expires", "60"]],
    });
    expect((await register("<sip:bob302@192.168.1.10:5062>", { to: "<sip:alice@acme>" })).status).toBe(403);
    await register("<sip:bob302@192.168.1.10:5062>");
    expect(await register("<sip:bob302@192.168.1.10:5062>", { expires: "0" })).toMatchObject({
      status: 200,
      headers: [],
    });
    expect(store.items.size).toBe(0);
  });
});
