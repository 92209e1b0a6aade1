import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { logger } from "../../layers/core/logger.js";
import type { Flow } from "../transport/flow.js";
import type { Bencoded } from "./bencode.js";
import type { RtpEngineClient } from "./rtpengine.js";

/**
 * When a call's media goes through rtpengine, and how its SDP is rewritten (docs/listener.md,
 * "Media path"). Browsers speak ICE + DTLS-SRTP + rtcp-mux only, desk phones plain RTP: a call
 * between the two is bridged by rtpengine, which answers each side in its own terms. A phone
 * whose SDP address is not where its signalling comes from is behind NAT: its media is relayed
 * too, and rtpengine learns its real address from the first packets (symmetric RTP). Calls
 * between two browsers, or two phones with public addresses, stay end to end.
 */
export interface MediaLeg {
  flow: Flow;
  /** The host the side advertised (its SDP c= address or its Contact's host). */
  advertisedHost: string | undefined;
}

/**
 * An SDP offer: the initial INVITE's (`caller` is the caller) or a re-INVITE's or UPDATE's inside
 * the dialog (`caller` is whichever side sent it, `toTag` the other side's tag).
 */
export interface Offer {
  callId: string;
  fromTag: string;
  /** Set for an offer inside an established dialog (hold, unhold, codec change). */
  toTag?: string;
  /** Our branch toward the callee: forks of one call are separate in rtpengine. */
  viaBranch?: string;
  sdp: string;
  /** The side that sent the offer. */
  caller: MediaLeg;
  /** The side the offer goes to (it sends the answer). */
  callee: MediaLeg;
}

export interface AnswerSdp extends Offer {
  toTag: string;
}

const isBrowser = (leg: MediaLeg) => leg.flow.transport === "ws";

/** Behind NAT: it advertised an IP address that is not the one its messages come from. */
export function behindNat(leg: MediaLeg): boolean {
  if (isBrowser(leg) || !leg.advertisedHost) return false;
  const host = leg.advertisedHost.replace(/^\[|\]$/g, "");
  return isIP(host) !== 0 && host !== leg.flow.address;
}

/** Whether the call needs rtpengine: a browser and a phone, or a phone behind NAT. */
export function needsRelay(caller: MediaLeg, callee: MediaLeg): boolean {
  return isBrowser(caller) !== isBrowser(callee) || behindNat(caller) || behindNat(callee);
}

/** Whether the call cannot work at all without rtpengine (browser ↔ plain RTP). */
export function needsBridge(caller: MediaLeg, callee: MediaLeg): boolean {
  return isBrowser(caller) !== isBrowser(callee);
}

/**
 * ng flags for the SDP going toward `to`, from `from` (whose signalling source is `from.flow`).
 * In an initial offer to a browser rtpengine takes the DTLS server role (`passive`); in an answer
 * to a browser's `actpass` offer it picks its role itself; a re-offer keeps the role the DTLS
 * session already has (forcing one could renegotiate it mid-call).
 */
function flagsToward(to: MediaLeg, from: MediaLeg, offer: boolean): { [key: string]: Bencoded } {
  const common: { [key: string]: Bencoded } = {
    replace: ["origin", "session-connection"],
    // An address the sender advertised is only trusted when its messages come from it.
    ...(behindNat(from)
      ? { "received-from": [from.flow.address.includes(":") ? "IP6" : "IP4", from.flow.address] }
      : {}),
    flags: behindNat(from) ? [] : ["trust-address"],
  };
  if (isBrowser(to)) {
    return {
      ...common,
      "transport-protocol": "UDP/TLS/RTP/SAVPF",
      ICE: "force",
      ...(offer ? { DTLS: "passive" } : {}),
      "rtcp-mux": ["offer", "require"],
      SDES: ["off"],
      flags: [...(common.flags as string[]), "generate-mid"],
    };
  }
  return { ...common, "transport-protocol": "RTP/AVP", ICE: "remove", "rtcp-mux": ["demux"] };
}

export class MediaRelay {
  stats = { offers: 0, reoffers: 0, answers: 0, deletes: 0 };
  /**
   * Calls this task relays. A BYE for one carried by another task (or a call never relayed)
   * sends nothing; rtpengine's own timeout (`--timeout`, no media for 60 s) frees those.
   */
  private readonly relayed = new Set<string>();
  private readonly clients: RtpEngineClient[];

  /**
   * One rtpengine or several (RTPENGINE_NG lists them): a call's commands all go to the one its
   * Call-ID hashes to, so every task, and a re-INVITE on any task, finds the call where it is.
   */
  constructor(clients: RtpEngineClient | RtpEngineClient[]) {
    this.clients = [clients].flat();
    if (this.clients.length === 0) throw new Error("MediaRelay needs at least one rtpengine");
  }

  /** The rtpengine that carries `callId`. */
  clientFor(callId: string): RtpEngineClient {
    if (this.clients.length === 1) return this.clients[0] as RtpEngineClient;
    const hash = createHash("sha256").update(callId).digest().readUInt32BE(0);
    return this.clients[hash % this.clients.length] as RtpEngineClient;
  }

  /** The SDP to send the side the offer goes to (`callee`). */
  async offer(offer: Offer): Promise<string> {
    if (offer.toTag === undefined) this.stats.offers++;
    else this.stats.reoffers++;
    this.relayed.add(offer.callId);
    const reply = await this.clientFor(offer.callId).command("offer", {
      "call-id": offer.callId,
      "from-tag": offer.fromTag,
      ...(offer.toTag === undefined ? {} : { "to-tag": offer.toTag }),
      ...(offer.viaBranch === undefined ? {} : { "via-branch": offer.viaBranch }),
      sdp: offer.sdp,
      ...flagsToward(offer.callee, offer.caller, offer.toTag === undefined),
    });
    return sdpOf(reply);
  }

  /** The SDP to send the side that offered (`caller`), from the other side's answer. */
  async answer(answer: AnswerSdp): Promise<string> {
    this.stats.answers++;
    const reply = await this.clientFor(answer.callId).command("answer", {
      "call-id": answer.callId,
      "from-tag": answer.fromTag,
      "to-tag": answer.toTag,
      ...(answer.viaBranch === undefined ? {} : { "via-branch": answer.viaBranch }),
      sdp: answer.sdp,
      ...flagsToward(answer.caller, answer.callee, false),
    });
    return sdpOf(reply);
  }

  /**
   * The call ended (BYE, or no branch answered): rtpengine frees its ports. `relayed` says the
   * dialog's signed route marks it relayed (a BYE on a task that did not carry the INVITE).
   * Never throws.
   */
  async delete(callId: string, relayed = false): Promise<void> {
    if (!this.relayed.delete(callId) && !relayed) return;
    this.stats.deletes++;
    try {
      await this.clientFor(callId).command("delete", { "call-id": callId });
    } catch (error) {
      // "Unknown call-id" for a call that was never relayed is the usual answer.
      if (!/unknown call/i.test((error as Error).message)) {
        logger.warn("rtpengine delete failed", { error: error as Error, callId });
      }
    }
  }

  /** Packet counters of a relayed call (tests and troubleshooting). */
  query(callId: string) {
    return this.clientFor(callId).command("query", { "call-id": callId });
  }
}

function sdpOf(reply: { [key: string]: Bencoded }): string {
  if (typeof reply.sdp !== "string") throw new Error("rtpengine answered without SDP");
  return reply.sdp;
}
