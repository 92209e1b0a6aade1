import type { SipHeaders } from "./header-fields.js";

/** What the parser had understood of a malformed request, so the caller can still answer it. */
export interface PartialRequest {
  method: string;
  uri: string;
  /** The well-formed headers: enough for `buildResponse` when Via, From, To, Call-ID and CSeq are among them. */
  headers: SipHeaders;
}

export interface SipParseErrorOptions {
  /** The input looked like a request (so RFC 3261 §8.2 wants an answer); responses are just dropped. */
  isRequest?: boolean;
  /** The status to answer with: 400 unless a more precise code exists (505, 513, 414, 416). */
  status?: number;
  request?: PartialRequest;
}

/**
 * A message or header that cannot be parsed. `reason` is short, ASCII and safe to use as the reason
 * phrase of the error response (it never echoes input).
 */
export class SipParseError extends Error {
  override readonly name = "SipParseError";
  readonly reason: string;
  readonly isRequest: boolean;
  readonly status: number;
  readonly request: PartialRequest | undefined;

  constructor(reason: string, options: SipParseErrorOptions = {}) {
    super(reason);
    this.reason = reason;
    this.isRequest = options.isRequest ?? false;
    this.status = options.status ?? 400;
    this.request = options.request;
  }
}

/** Throws the SipParseError for a malformed header value. */
export function parseFailure(reason: string): never {
  throw new SipParseError(reason);
}
