// SIP messages (RFC 3261 §7): requests, responses and the parser's size limits. The parser is
// in parser.ts, header fields in header-fields.ts, request checks in validate.ts.

import type { SipHeaders } from "./header-fields.js";

export interface SipRequest {
  method: string;
  /** The Request-URI as received (any absolute URI; `parseUri` for sip/sips). */
  uri: string;
  /** Always "SIP/2.0": other versions are refused. */
  version: string;
  headers: SipHeaders;
  /** The body's exact octets (empty when none). Build text bodies with `Buffer.from(text, "utf8")`. */
  body: Buffer;
}

export interface SipResponse {
  status: number;
  reason: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export function isSipRequest(message: SipMessage): message is SipRequest {
  return "method" in message;
}

export interface SipLimits {
  /** Whole message, start line to last body octet. */
  maxMessageSize: number;
  /** Header fields (lines, after unfolding); a comma-separated list counts once. */
  maxHeaders: number;
  /** One header field after unfolding, name included. */
  maxHeaderLine: number;
  maxStartLine: number;
}

export const DEFAULT_LIMITS: Readonly<SipLimits> = Object.freeze({
  maxMessageSize: 65_535,
  maxHeaders: 100,
  maxHeaderLine: 8_192,
  maxStartLine: 8_192,
});

export interface ParseOptions extends Partial<SipLimits> {
  /**
   * Stream transport framing (TCP, TLS): Content-Length is mandatory and must cover the rest of
   * the buffer exactly (RFC 3261 §18.3). Default false (datagram).
   */
  stream?: boolean;
  /**
   * Datagram octets after the Content-Length body: RFC 3261 §18.3 says they MUST be discarded
   * (the default); "reject" turns them into a parse error.
   */
  trailingBytes?: "discard" | "reject";
}
