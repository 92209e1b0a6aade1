// Writing SIP messages (RFC 3261 §7) and building responses to requests (§8.2.6).

import { isToken } from "./chars.js";
import { SipHeaders } from "./header-fields.js";
import type { SipMessage, SipRequest, SipResponse } from "./message.js";
import { parseNameAddr } from "./name-addr.js";
import { randomToken } from "./random.js";

function assertNoLineBreak(text: string, what: string): void {
  if (text.indexOf("\r") >= 0 || text.indexOf("\n") >= 0) throw new TypeError(`CR or LF in ${what}`);
}

function startLine(message: SipMessage): string {
  if ("method" in message) {
    if (!isToken(message.method)) throw new TypeError(`Invalid method: ${message.method}`);
    let valid = message.uri.length > 0;
    for (let i = 0; i < message.uri.length && valid; i++) {
      const c = message.uri.charCodeAt(i);
      valid = c > 32 && c !== 127;
    }
    if (!valid) throw new TypeError("Invalid Request-URI");
    return `${message.method} ${message.uri} SIP/2.0\r\n`;
  }
  if (!Number.isInteger(message.status) || message.status < 100 || message.status > 699) {
    throw new TypeError(`Invalid status code: ${message.status}`);
  }
  assertNoLineBreak(message.reason, "reason phrase");
  return `SIP/2.0 ${message.status} ${message.reason}\r\n`;
}

/**
 * The wire form: CRLF line ends, one header line per entry in order, and a Content-Length that
 * is the body's octet count (written where the message had one, else last). Throws TypeError for
 * values that would break the framing (CR/LF inside a value, a name that is not a token).
 */
export function serializeMessage(message: SipMessage): Buffer {
  let head = startLine(message);
  let wroteLength = false;
  for (const [name, value] of message.headers) {
    if (name === "Content-Length") {
      if (!wroteLength) head += `Content-Length: ${message.body.length}\r\n`;
      wroteLength = true;
      continue;
    }
    if (!isToken(name)) throw new TypeError(`Invalid header name: ${name}`);
    assertNoLineBreak(value, `header ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${message.body.length}\r\n`;
  head += "\r\n";
  if (message.body.length === 0) return Buffer.from(head, "utf8");
  const headLength = Buffer.byteLength(head, "utf8");
  const out = Buffer.allocUnsafe(headLength + message.body.length);
  out.write(head, 0, "utf8");
  message.body.copy(out, headLength);
  return out;
}

/** A random To tag: 64 bits as hex (RFC 3261 §19.3 wants at least 32 random bits). */
export function newTag(): string {
  return randomToken(8);
}

export interface ResponseExtras {
  /** The tag to add to To when the request had none (status > 100). Default: `newTag()`. */
  toTag?: string;
  /** Added after the copied headers, in order. */
  headers?: Iterable<readonly [string, string]>;
  /** Text is encoded as UTF-8. */
  body?: Buffer | string;
}

function withToTag(to: string, tag: string): string {
  try {
    if (parseNameAddr(to).params.has("tag")) return to;
  } catch {
    return to; // malformed To (answering a 400): copy it as received
  }
  return `${to};tag=${tag}`;
}

/**
 * A response to `request` per RFC 3261 §8.2.6: every Via in order, From, Call-ID and CSeq copied,
 * To copied with a tag added when the request had none (except for 100 Trying), and Timestamp
 * copied into a 100 (§8.2.6.1). Accepts a `SipParseError.request` too, to answer a malformed request.
 */
export function buildResponse(
  request: Pick<SipRequest, "headers">,
  status: number,
  reason: string,
  extras: ResponseExtras = {},
): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new TypeError(`Invalid status code: ${status}`);
  assertNoLineBreak(reason, "reason phrase");
  if (extras.toTag !== undefined && !isToken(extras.toTag)) throw new TypeError("Invalid tag");
  let tag = extras.toTag;

  const source = request.headers;
  const headers = new SipHeaders();
  for (const via of source.getAll("Via")) headers.append("Via", via);
  for (const from of source.getAll("From")) headers.append("From", from);
  for (const to of source.getAll("To")) {
    if (status > 100) tag ??= newTag();
    headers.append("To", tag === undefined ? to : withToTag(to, tag));
  }
  for (const callId of source.getAll("Call-ID")) headers.append("Call-ID", callId);
  for (const cseq of source.getAll("CSeq")) headers.append("CSeq", cseq);
  if (status === 100) for (const timestamp of source.getAll("Timestamp")) headers.append("Timestamp", timestamp);
  if (extras.headers) for (const [name, value] of extras.headers) headers.append(name, value);

  const body = extras.body === undefined ? Buffer.alloc(0) : Buffer.from(extras.body);
  return { status, reason, version: "SIP/2.0", headers, body };
}
