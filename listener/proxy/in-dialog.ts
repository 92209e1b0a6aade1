import { logger } from "../../layers/core/logger.js";
import type { Answer } from "../auth/authenticator.js";
import type { MediaRelay } from "../media/media-relay.js";
import { SipHeaders } from "../sip/header-fields.js";
import { parseMaxForwards } from "../sip/headers.js";
import type { SipRequest, SipResponse } from "../sip/message.js";
import { serializeMessage } from "../sip/serialize.js";
import { tagOf, withoutFirst } from "../sip/view.js";
import type { Flow, Transport } from "../transport/flow.js";
import {
  carriesOffer,
  failedInsteadOf,
  hangUpAnswered,
  isSdp,
  reanswerThroughRelay,
  reofferThroughRelay,
  withoutBody,
} from "./call-media.js";
import type { RouteSigner, VerifiedRoute } from "./record-route.js";
import type { StatelessBranches } from "./stateless.js";

export interface InDialogOptions {
  signer: RouteSigner;
  branches: StatelessBranches;
  /** Writes to a flow; false when it is a connection this task does not hold (any more). */
  send: (flow: Flow, data: Buffer) => boolean;
  ownVia: (transport: Transport, branch: string) => string;
  /** A relayed BYE ended a dialog; `relayed`: its route says rtpengine carries its media. */
  onBye: (request: SipRequest, relayed: boolean) => void;
  /** rtpengine, when configured: offers inside dialogs whose media it carries go through it. */
  media?: MediaRelay | undefined;
}

/**
 * Requests within a dialog (ACK of a 2xx, BYE, re-INVITE, UPDATE, INFO, REFER, NOTIFY…), relayed
 * statelessly (RFC 3261 §16.11) along the route this proxy recorded, and only along it.
 * Returns the answer to send upstream, or undefined when the request went on (or was an ACK,
 * which is never answered). A re-INVITE or UPDATE with SDP in a dialog whose media rtpengine
 * carries (the signed route says so) is offered through rtpengine first, so the other side gets
 * rtpengine's SDP; its branch is marked, so the answer goes through rtpengine on the way back
 * (core.ts), on whichever task the response reaches.
 */
export class InDialogRelay {
  constructor(private readonly options: InDialogOptions) {}

  /** Synchronous unless the request's offer must go through rtpengine. */
  relay(request: SipRequest): Answer | undefined | Promise<Answer | undefined> {
    const answer = (status: number, reason: string) => (request.method === "ACK" ? undefined : { status, reason });
    const routes = request.headers.getAll("Route");
    const top = routes[0];
    if (top === undefined || !this.options.signer.isOwn(top)) {
      return answer(481, "Call/Transaction Does Not Exist");
    }
    const callId = request.headers.get("Call-ID") ?? "";
    const verified = this.options.signer.verify(
      top,
      callId,
      tagOf(request.headers.get("From")),
      tagOf(request.headers.get("To")),
    );
    if (!verified) return answer(403, "Not a dialog of this proxy");
    const maxForwards = parseMaxForwards(request.headers.get("Max-Forwards") ?? "70") ?? 70;
    if (maxForwards <= 0) return answer(483, "Too Many Hops");

    const { media } = this.options;
    if (verified.route.media && media && carriesOffer(request)) {
      return reofferThroughRelay(media, request, verified).then(
        (body) => this.forward({ ...request, body }, verified, maxForwards, true),
        (error: unknown) => {
          // The other side never sees an offer it could not use; the call keeps its media.
          logger.error("Media relay re-offer failed", { error: error as Error, callId });
          return { status: 503, reason: "Media Relay Unavailable" };
        },
      );
    }
    return this.forward(request, verified, maxForwards, false);
  }

  /**
   * A response to a request relayed statelessly, whose branch checked (`upstream`: where it goes,
   * and whether the request's offer went through rtpengine). The answer to such an offer goes
   * through rtpengine too; when rtpengine fails, a 2xx's sender is hung up and the offerer gets
   * 503 (call-media.ts). Returns the work when it waits for rtpengine.
   */
  response(response: SipResponse, arrival: Flow, upstream: { flow: Flow; media: boolean }): Promise<void> | undefined {
    const relayUpstream = (message: SipResponse): void => {
      this.options.send(upstream.flow, serializeMessage({ ...message, headers: withoutFirst(message.headers, "Via") }));
    };
    const { media } = this.options;
    if (!upstream.media || !media || !isSdp(response) || response.status < 180 || response.status >= 300) {
      relayUpstream(response);
      return undefined;
    }
    return reanswerThroughRelay(media, response, upstream.flow, arrival).then(relayUpstream, (error: unknown) => {
      logger.error("Media relay answer to a re-offer failed", {
        error: error as Error,
        callId: response.headers.get("Call-ID"),
      });
      if (response.status < 200) return relayUpstream(withoutBody(response));
      hangUpAnswered(response, arrival, this.options.send, this.options.ownVia);
      return relayUpstream(failedInsteadOf(response));
    });
  }

  private forward(
    request: SipRequest,
    verified: VerifiedRoute,
    maxForwards: number,
    mediaRelayed: boolean,
  ): Answer | undefined {
    const destination = destinationOf(verified);
    const forwarded = this.forwardedCopy(request, destination.transport, maxForwards - 1, mediaRelayed);
    if (!this.options.send(destination, serializeMessage(forwarded))) {
      // RFC 5626 §5.3: the flow the other end used is gone and we must not guess another.
      return request.method === "ACK" ? undefined : { status: 430, reason: "Flow Failed" };
    }
    if (request.method === "BYE") this.options.onBye(request, verified.route.media === true);
    return undefined;
  }

  /**
   * The request as it goes on: our Route entries popped (there are two after a transport
   * change), our Via on top with a derived branch, Max-Forwards decremented, and credentials for
   * our realm removed (§16.6 does not forward them to the next hop: the callee must not see the
   * caller's digest answer).
   */
  private forwardedCopy(
    request: SipRequest,
    transport: Transport,
    maxForwards: number,
    mediaRelayed: boolean,
  ): SipRequest {
    const incomingVia = request.headers.get("Via") ?? "";
    const headers = new SipHeaders();
    const branch = this.options.branches.branchFor(request, incomingVia, mediaRelayed);
    headers.append("Via", this.options.ownVia(transport, branch));
    let poppingRoutes = true;
    for (const [name, value] of request.headers) {
      if (name === "Max-Forwards" || name === "Proxy-Authorization") continue;
      if (name === "Route" && poppingRoutes && this.options.signer.isOwn(value)) continue;
      if (name === "Route") poppingRoutes = false;
      headers.append(name, value);
    }
    headers.append("Max-Forwards", String(maxForwards));
    return { ...request, headers };
  }
}

function destinationOf({ route, fromCaller }: VerifiedRoute): Flow {
  return fromCaller ? route.callee : route.caller;
}
