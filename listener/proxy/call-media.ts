import { logger } from "../../layers/core/logger.js";
import { type MediaLeg, type MediaRelay, needsBridge, needsRelay } from "../media/media-relay.js";
import type { Binding } from "../registrar/bindings.js";
import type { SipRequest, SipResponse } from "../sip/message.js";
import { parseUri } from "../sip/uri.js";
import { tagOf } from "../sip/view.js";
import type { Flow } from "../transport/flow.js";

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
