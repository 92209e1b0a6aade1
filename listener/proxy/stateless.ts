import { createHmac, timingSafeEqual } from "node:crypto";
import type { SipMessage } from "../sip/message.js";
import { type Flow, transportOf } from "../transport/flow.js";

/** Branches of requests this proxy relays without state start with this; forked INVITEs with STATEFUL_PREFIX. */
export const STATELESS_PREFIX = "z9hG4bK-cps";
export const STATEFUL_PREFIX = "z9hG4bK-cpf";
/** Ends the branch of a request whose SDP went through rtpengine: its answer must go through it too. */
const MEDIA_MARK = ".m";

/**
 * Branches for stateless relaying (RFC 3261 §16.11): derived from the incoming request's top Via,
 * Call-ID and CSeq, so a retransmission gets the same branch and a new request a new one, and
 * keyed with the master secret, so a response is relayed upstream only when its second Via is
 * the one this proxy saw: a forged response cannot make the proxy send to a host of its choice.
 */
export class StatelessBranches {
  constructor(private readonly key: Buffer) {}

  /**
   * The branch for relaying a request whose (stamped) top Via is `incomingVia`; `media` marks a
   * request whose SDP offer went through rtpengine (the mark is covered by the HMAC).
   */
  branchFor(message: Pick<SipMessage, "headers">, incomingVia: string, media = false): string {
    return `${STATELESS_PREFIX}${this.mac(message, incomingVia, media)}${media ? MEDIA_MARK : ""}`;
  }

  /** Whether a response's top Via branch is one we derived for its second Via, and with the media mark. */
  verify(response: Pick<SipMessage, "headers">, branch: string, nextVia: string): { media: boolean } | undefined {
    if (!branch.startsWith(STATELESS_PREFIX)) return undefined;
    const media = branch.endsWith(MEDIA_MARK);
    const expected = Buffer.from(this.mac(response, nextVia, media));
    const given = Buffer.from(branch.slice(STATELESS_PREFIX.length, media ? -MEDIA_MARK.length : undefined));
    return expected.length === given.length && timingSafeEqual(expected, given) ? { media } : undefined;
  }

  private mac(message: Pick<SipMessage, "headers">, via: string, media: boolean): string {
    const callId = message.headers.get("Call-ID") ?? "";
    const cseq = message.headers.get("CSeq") ?? "";
    const input = `${via}\n${callId}\n${cseq}${media ? "\nmedia" : ""}`;
    return createHmac("sha256", this.key).update(input).digest("base64url").slice(0, 22);
  }
}

/**
 * Where a response to a statelessly relayed request goes: the flow in its second Via (as
 * stamped on the way in: `received` and `rport`), after its top Via is checked to be ours.
 */
export function upstreamOf(
  branches: StatelessBranches,
  response: Pick<SipMessage, "headers">,
  branch: string,
  parseVia: (value: string) => {
    transport: string;
    host: string;
    port: number | undefined;
    params: Map<string, string | null>;
  },
): { flow: Flow; media: boolean } | undefined {
  const vias = response.headers.getAll("Via");
  const next = vias[1];
  const verified = next === undefined ? undefined : branches.verify(response, branch, next);
  if (next === undefined || !verified) return undefined;
  let via: ReturnType<typeof parseVia>;
  try {
    via = parseVia(next);
  } catch {
    return undefined;
  }
  const transport = via.transport.toLowerCase();
  const rport = via.params.get("rport");
  return {
    flow: {
      transport: transportOf(transport),
      address: via.params.get("received") ?? via.host.replace(/^\[|\]$/g, ""),
      port: rport ? Number(rport) : (via.port ?? 5060),
    },
    media: verified.media,
  };
}
