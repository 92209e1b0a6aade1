import { createHmac, timingSafeEqual } from "node:crypto";
import type { SipRequest } from "../sip/message.js";
import { parseNameAddr } from "../sip/name-addr.js";
import { parseUri } from "../sip/uri.js";
import { tagOf, withoutFirst } from "../sip/view.js";
import { type Flow, TRANSPORTS, type Transport } from "../transport/flow.js";

/**
 * The dialog's route, carried by the dialog itself: each Record-Route this proxy writes holds the
 * flows of both ends (RFC 5626-style flow tokens) and an HMAC over them, the Call-ID and the
 * caller's tag. An in-dialog request is relayed only when its top Route is one of ours and the
 * signature checks for that request's Call-ID and tags, so:
 * - nothing can be relayed that this deployment did not record-route (no open relay);
 * - every task can route it without shared state (the flows are in the token);
 * - it goes to the flow the other end registered or called from, not to the host:port in its
 *   Request-URI, so two phones with the same private Contact behind different NATs are told apart.
 */
export interface DialogRoute {
  /** The caller's From tag (the UAC's tag; it is the To tag of requests the callee sends). */
  callerTag: string;
  caller: Flow;
  callee: Flow;
  issuedAtMs: number;
  /**
   * The dialog's media goes through rtpengine: a re-INVITE or UPDATE with SDP (hold, unhold) must
   * be offered and answered through it too, on whichever task relays it (proxy/in-dialog.ts).
   */
  media?: boolean;
}

export interface VerifiedRoute {
  route: DialogRoute;
  /** Whether the request comes from the caller's side (then it goes to the callee's flow). */
  fromCaller: boolean;
}

/** Longest a dialog's route is honoured (a call longer than this cannot send BYE through us). */
const ROUTE_LIFETIME_MS = 48 * 3600_000;
const TOKEN = "cpr";
const SIGNATURE = "cps";

export interface OwnAddress {
  host: string;
  port: (transport: Transport) => number;
}

export class RouteSigner {
  constructor(
    private readonly key: Buffer,
    private readonly own: OwnAddress,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The Record-Route values for a dialog, topmost first: one when both ends use the same transport,
   * two when they differ (RFC 5658 §4: each end must reach the proxy over its own transport).
   */
  recordRoutes(callId: string, route: DialogRoute): string[] {
    const token = encodeRoute(route);
    const signature = this.sign(callId, token);
    const entry = (transport: Transport) => {
      const scheme = transport === "tls" ? "sips" : "sip";
      return `<${scheme}:${this.own.host}:${this.own.port(transport)};transport=${transport};lr;${TOKEN}=${token};${SIGNATURE}=${signature}>`;
    };
    // The callee sees the list as is and uses its first entry; the caller reverses it.
    if (route.callee.transport === route.caller.transport) return [entry(route.callee.transport)];
    return [entry(route.callee.transport), entry(route.caller.transport)];
  }

  /** RFC 3261 §16.4: a Route naming this proxy is consumed; the request is then handled as addressed. */
  withoutOwnRoute(request: SipRequest): SipRequest {
    const first = request.headers.get("Route");
    if (first === undefined || !this.isOwn(first)) return request;
    // In-dialog requests keep it: the relay verifies the signed route it carries.
    if (tagOf(request.headers.get("To")) !== undefined || request.method === "ACK") return request;
    return { ...request, headers: withoutFirst(request.headers, "Route") };
  }

  /** Whether a Route value names this proxy (with or without a token). */
  isOwn(value: string): boolean {
    try {
      const uri = parseUri(parseNameAddr(value).uri);
      if (uri.host !== this.own.host.toLowerCase()) return false;
      const port = uri.port ?? (uri.scheme === "sips" ? 5061 : 5060);
      return TRANSPORTS.some((transport) => this.own.port(transport) === port);
    } catch {
      return false;
    }
  }

  /** The verified route of an in-dialog request whose top Route is `value`, or undefined. */
  verify(
    value: string,
    callId: string,
    fromTag: string | undefined,
    toTag: string | undefined,
  ): VerifiedRoute | undefined {
    let params: Map<string, string | null>;
    try {
      params = parseUri(parseNameAddr(value).uri).params;
    } catch {
      return undefined;
    }
    const token = params.get(TOKEN);
    const signature = params.get(SIGNATURE);
    if (!token || !signature) return undefined;
    const expected = Buffer.from(this.sign(callId, token));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    const route = decodeRoute(token);
    if (!route || this.now() - route.issuedAtMs > ROUTE_LIFETIME_MS) return undefined;
    if (fromTag === route.callerTag) return { route, fromCaller: true };
    if (toTag === route.callerTag) return { route, fromCaller: false };
    return undefined;
  }

  private sign(callId: string, token: string): string {
    return createHmac("sha256", this.key).update(`${callId}\n${token}`).digest("base64url").slice(0, 22);
  }
}

function encodeFlow(flow: Flow): string {
  return `${flow.transport}~${flow.address}~${flow.port}`;
}

function decodeFlow(text: string | undefined): Flow | undefined {
  const [transport, address, port] = (text ?? "").split("~");
  if (!TRANSPORTS.includes(transport as Transport) || !address) return undefined;
  const number = Number(port);
  if (!Number.isInteger(number) || number < 1 || number > 65535) return undefined;
  return { transport: transport as Transport, address, port: number };
}

function encodeRoute(route: DialogRoute): string {
  const text = [route.callerTag, encodeFlow(route.caller), encodeFlow(route.callee), route.issuedAtMs.toString(36)];
  if (route.media) text.push("m");
  return Buffer.from(text.join("\n")).toString("base64url");
}

function decodeRoute(token: string): DialogRoute | undefined {
  const [callerTag, caller, callee, issued, media] = Buffer.from(token, "base64url").toString().split("\n");
  const callerFlow = decodeFlow(caller);
  const calleeFlow = decodeFlow(callee);
  const issuedAtMs = Number.parseInt(issued ?? "", 36);
  if (!callerTag || !callerFlow || !calleeFlow || !Number.isFinite(issuedAtMs)) return undefined;
  return { callerTag, caller: callerFlow, callee: calleeFlow, issuedAtMs, media: media === "m" };
}
