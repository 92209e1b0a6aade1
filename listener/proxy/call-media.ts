import { logger } from "../../layers/core/logger.js";
import { type MediaLeg, type MediaRelay, needsBridge, needsRelay } from "../media/media-relay.js";
import type { Binding } from "../registrar/bindings.js";
import { SipHeaders } from "../sip/header-fields.js";
import type { SipRequest, SipResponse } from "../sip/message.js";
import { randomToken } from "../sip/random.js";
import { serializeMessage } from "../sip/serialize.js";
import { parseUri } from "../sip/uri.js";
import { cseqOf, tagOf, uriOfNameAddr } from "../sip/view.js";
import type { Flow, Transport } from "../transport/flow.js";
import type { VerifiedRoute } from "./record-route.js";
import { STATEFUL_PREFIX } from "./stateless.js";

/** A branch whose media goes through rtpengine: both legs, as the offer described them. */
export interface BranchMedia {
  caller: MediaLeg;
  callee: MediaLeg;
}

/**
 * The INVITE body for one branch: rewritten by rtpengine when the media must be relayed
 * (media/media-relay.ts), else as the caller sent it; `body` undefined when a bridge is needed
 * and rtpengine failed (the branch answers 503: a browser and a phone cannot hear each other).
 */
export async function offerThroughRelay(
  media: MediaRelay | undefined,
  callId: string,
  call: { request: SipRequest; source: Flow },
  binding: Binding,
  branchId: string,
): Promise<{ body: Buffer | undefined; legs?: BranchMedia }> {
  const { request, source } = call;
  if (!media || !isSdp(request)) return { body: request.body };
  const caller: MediaLeg = { flow: source, advertisedHost: sdpHost(request.body) };
  const callee: MediaLeg = { flow: binding.flow, advertisedHost: contactHost(binding.contact) };
  if (!needsRelay(caller, callee)) return { body: request.body };
  try {
    const sdp = await media.offer({
      callId,
      fromTag: tagOf(request.headers.get("From")) ?? "",
      viaBranch: branchId,
      sdp: request.body.toString("utf8"),
      caller,
      callee,
    });
    return { body: Buffer.from(sdp, "utf8"), legs: { caller, callee } };
  } catch (error) {
    logger.error("Media relay offer failed", { error: error as Error, callId });
    return { body: needsBridge(caller, callee) ? undefined : request.body };
  }
}

/** The callee's answer as the caller must see it: rewritten by rtpengine when the branch is relayed. */
export async function answerThroughRelay(
  media: MediaRelay | undefined,
  callId: string,
  request: SipRequest,
  branchId: string,
  legs: BranchMedia | undefined,
  response: SipResponse,
): Promise<SipResponse> {
  if (!legs || !media) return response;
  const sdp = await media.answer({
    callId,
    fromTag: tagOf(request.headers.get("From")) ?? "",
    toTag: tagOf(response.headers.get("To")) ?? "",
    viaBranch: branchId,
    sdp: response.body.toString("utf8"),
    caller: legs.caller,
    callee: { ...legs.callee, advertisedHost: sdpHost(response.body) ?? legs.callee.advertisedHost },
  });
  return { ...response, body: Buffer.from(sdp, "utf8") };
}

/** In-dialog requests that carry an SDP offer (RFC 3264 via RFC 3261 §14, RFC 3311). */
export function carriesOffer(request: SipRequest): boolean {
  return (request.method === "INVITE" || request.method === "UPDATE") && isSdp(request);
}

/**
 * A re-INVITE's or UPDATE's offer in a dialog whose media rtpengine carries (hold, unhold): the
 * SDP the other side must get instead of the sender's. Throws when rtpengine fails (the request
 * is then refused, and the call keeps the media it has).
 */
export async function reofferThroughRelay(
  media: MediaRelay,
  request: SipRequest,
  { route, fromCaller }: VerifiedRoute,
): Promise<Buffer> {
  const sender = fromCaller ? route.caller : route.callee;
  const receiver = fromCaller ? route.callee : route.caller;
  const sdp = await media.offer({
    callId: request.headers.get("Call-ID") ?? "",
    fromTag: tagOf(request.headers.get("From")) ?? "",
    toTag: tagOf(request.headers.get("To")) ?? "",
    sdp: request.body.toString("utf8"),
    caller: { flow: sender, advertisedHost: sdpHost(request.body) },
    callee: { flow: receiver, advertisedHost: undefined },
  });
  return Buffer.from(sdp, "utf8");
}

/** The answer (in a 2xx or 18x) to an in-dialog offer that went through rtpengine, as the offerer must see it. */
export async function reanswerThroughRelay(
  media: MediaRelay,
  response: SipResponse,
  offerer: Flow,
  answerer: Flow,
): Promise<SipResponse> {
  const sdp = await media.answer({
    callId: response.headers.get("Call-ID") ?? "",
    fromTag: tagOf(response.headers.get("From")) ?? "",
    toTag: tagOf(response.headers.get("To")) ?? "",
    sdp: response.body.toString("utf8"),
    caller: { flow: offerer, advertisedHost: undefined },
    callee: { flow: answerer, advertisedHost: sdpHost(response.body) },
  });
  return { ...response, body: Buffer.from(sdp, "utf8") };
}

/**
 * The side that answered 2xx to an offer rtpengine could not carry is hung up, not left in a
 * call with no media: the ACK its 2xx waits for (§13.2.2.4, or it resends the 2xx for 32 s),
 * then a BYE (CSeq one above the INVITE's, sent as if by the offerer). Both go straight to its
 * flow with a branch of ours (its answers are dropped). The other side gets a 5xx from the caller
 * of this function instead of the 2xx.
 */
export function hangUpAnswered(
  response: SipResponse,
  flow: Flow,
  send: (flow: Flow, data: Buffer) => boolean,
  ownVia: (transport: Transport, branch: string) => string,
): void {
  const cseq = cseqOf(response);
  if (!cseq) return;
  const target = uriOfNameAddr(response.headers.get("Contact") ?? "") ?? `sip:${flow.address}:${flow.port}`;
  const request = (method: "ACK" | "BYE", seq: number) => {
    const headers = new SipHeaders();
    headers.append("Via", ownVia(flow.transport, `${STATEFUL_PREFIX}${randomToken(8)}`));
    headers.append("Max-Forwards", "70");
    headers.append("From", response.headers.get("From") ?? "");
    headers.append("To", response.headers.get("To") ?? "");
    headers.append("Call-ID", response.headers.get("Call-ID") ?? "");
    headers.append("CSeq", `${seq} ${method}`);
    if (method === "BYE") headers.append("Reason", 'SIP;cause=503;text="Media relay unavailable"');
    return serializeMessage({ method, uri: target, version: "SIP/2.0", headers, body: Buffer.alloc(0) });
  };
  send(flow, request("ACK", cseq.seq));
  send(flow, request("BYE", cseq.seq + 1));
}

/** The 503 the offerer gets instead of a 2xx whose answer rtpengine could not carry (same Via, tags, CSeq). */
export function failedInsteadOf(response: SipResponse): SipResponse {
  const headers = new SipHeaders();
  for (const [name, value] of response.headers) {
    if (name === "Contact" || name === "Record-Route" || name === "Content-Type") continue;
    headers.append(name, value);
  }
  return { version: response.version, status: 503, reason: "Media Relay Unavailable", headers, body: Buffer.alloc(0) };
}

/** A provisional whose SDP rtpengine could not answer goes on without it (the call still rings). */
export function withoutBody(response: SipResponse): SipResponse {
  const headers = new SipHeaders();
  for (const [name, value] of response.headers) if (name !== "Content-Type") headers.append(name, value);
  return { ...response, headers, body: Buffer.alloc(0) };
}

export function isSdp(message: SipRequest | SipResponse): boolean {
  return message.body.length > 0 && /^application\/sdp/i.test(message.headers.get("Content-Type") ?? "");
}

/** The session's c= address (what a phone behind NAT gets wrong). */
function sdpHost(body: Buffer): string | undefined {
  return /^c=IN IP[46] ([^\s/]+)/m.exec(body.toString("utf8"))?.[1];
}

function contactHost(contact: string): string | undefined {
  try {
    return parseUri(contact).host;
  } catch {
    return undefined;
  }
}
