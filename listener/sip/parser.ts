// The SIP message parser (RFC 3261 §7, §18.3).
//
// It finds the end of the header section with Buffer#indexOf, decodes only that part to a
// string, then walks it line by line with indexOf: no regular expression touches a whole
// message, and every step is linear in the input.

import { isToken, isWs, parseDigits, splitList, trimWs } from "./chars.js";
import { SipParseError } from "./errors.js";
import { lookupHeader, SipHeaders } from "./header-fields.js";
import {
  DEFAULT_LIMITS,
  type ParseOptions,
  type SipLimits,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from "./message.js";

/** The start line and headers of a message whose body has not been attached yet. */
export interface ParsedHead {
  /** The message with an empty body. */
  message: SipMessage;
  contentLength: number | undefined;
  /** Byte offset of the first body octet in the buffer. */
  bodyStart: number;
}

const EMPTY_BODY = Buffer.alloc(0);

function resolveLimits(options: ParseOptions): SipLimits {
  if (
    options.maxMessageSize === undefined &&
    options.maxHeaders === undefined &&
    options.maxHeaderLine === undefined &&
    options.maxStartLine === undefined
  ) {
    return DEFAULT_LIMITS;
  }
  return {
    maxMessageSize: options.maxMessageSize ?? DEFAULT_LIMITS.maxMessageSize,
    maxHeaders: options.maxHeaders ?? DEFAULT_LIMITS.maxHeaders,
    maxHeaderLine: options.maxHeaderLine ?? DEFAULT_LIMITS.maxHeaderLine,
    maxStartLine: options.maxStartLine ?? DEFAULT_LIMITS.maxStartLine,
  };
}

/** True unless the first line starts with "SIP/" (a status line); used to decide whether to answer. */
function looksLikeRequest(buf: Buffer, pos: number): boolean {
  return !(
    (buf[pos] === 83 || buf[pos] === 115) &&
    (buf[pos + 1] === 73 || buf[pos + 1] === 105) &&
    (buf[pos + 2] === 80 || buf[pos + 2] === 112) &&
    buf[pos + 3] === 47
  );
}

function skipLeadingNewlines(buf: Buffer): number {
  let pos = 0;
  while (pos < buf.length && (buf[pos] === 13 || buf[pos] === 10)) pos++;
  return pos;
}

function isSip20(version: string): boolean {
  return version === "SIP/2.0" || (version.length === 7 && version.toUpperCase() === "SIP/2.0");
}

/**
 * absoluteURI shape only: a scheme (ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")), a colon, then
 * printable ASCII other than `<`, `>` and `"`. The scheme-specific check is `parseUri`'s job.
 */
function isPlausibleUri(uri: string): boolean {
  const len = uri.length;
  let i = 0;
  const first = uri.charCodeAt(0);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122))) return false;
  for (i = 1; i < len; i++) {
    const c = uri.charCodeAt(i);
    if (c === 58) break;
    const ok =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
    if (!ok) return false;
  }
  if (i >= len - 1) return false;
  for (i++; i < len; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 60 || c === 62 || c === 34) return false;
  }
  return true;
}

/**
 * Parses the start line and the headers of the message in `buf` (leading CRLFs ignored).
 * Malformed header lines do not stop the walk: the well-formed headers are collected, and the
 * error thrown at the end carries them (`error.request`) so a 400 can still be answered.
 * Limit violations throw at once.
 */
export function parseHead(buf: Buffer, limits: SipLimits = DEFAULT_LIMITS): ParsedHead {
  const pos = skipLeadingNewlines(buf);
  if (pos >= buf.length) throw new SipParseError("Empty message");
  const isRequest = looksLikeRequest(buf, pos);

  // The header section ends at the first empty line (CRLF CRLF, or bare LF LF).
  let headEnd = -1;
  let bodyStart = -1;
  for (let i = pos; ; ) {
    const lf = buf.indexOf(10, i);
    if (lf < 0) break;
    const next = buf[lf + 1];
    if (next === 10) {
      headEnd = lf + 1;
      bodyStart = lf + 2;
      break;
    }
    if (next === 13 && buf[lf + 2] === 10) {
      headEnd = lf + 1;
      bodyStart = lf + 3;
      break;
    }
    i = lf + 1;
  }
  if (headEnd < 0) throw new SipParseError("Incomplete message header", { isRequest });

  const text = buf.toString("utf8", pos, headEnd);
  const textLength = text.length;
  const failure: Failure = { reason: undefined, status: 400 };

  // Start line.
  let lineEnd = text.indexOf("\n");
  let p = lineEnd + 1;
  if (lineEnd > 0 && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
  if (lineEnd > limits.maxStartLine) {
    throw new SipParseError(isRequest ? "Request-URI Too Long" : "Status line too long", {
      isRequest,
      status: isRequest ? 414 : 400,
    });
  }
  const startLine = text.slice(0, lineEnd);
  const message = isRequest ? parseRequestLine(startLine, failure) : parseStatusLine(startLine);
  const headers = message.headers;

  // Header fields, each either a slice of `text` (src[start..end)) or, when folded, a new string.
  let contentLength: number | undefined;
  let count = 0;
  while (p < textLength) {
    let nl = text.indexOf("\n", p);
    if (nl < 0) nl = textLength;
    let src = text;
    let start = p;
    let end = nl > p && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    p = nl + 1;
    if (isWs(text.charCodeAt(start))) {
      fail(failure, "Continuation line without a header");
      continue;
    }
    // Unfold: CRLF followed by whitespace is one SP (RFC 3261 §7.3.1).
    if (p < textLength && isWs(text.charCodeAt(p))) {
      const first = trimWs(text, start, end);
      const parts = [first];
      let total = first.length;
      while (p < textLength && isWs(text.charCodeAt(p)) && total <= limits.maxHeaderLine) {
        nl = text.indexOf("\n", p);
        if (nl < 0) nl = textLength;
        const piece = trimWs(text, p, nl > p && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
        p = nl + 1;
        parts.push(piece);
        total += piece.length + 1;
      }
      src = parts.join(" ");
      start = 0;
      end = src.length;
    }
    if (end - start > limits.maxHeaderLine) {
      throw new SipParseError("Header line too long", { isRequest, request: partial(message) });
    }
    if (++count > limits.maxHeaders) {
      throw new SipParseError("Too many headers", { isRequest, request: partial(message) });
    }
    const colon = src.indexOf(":", start);
    if (colon < 0 || colon >= end) {
      fail(failure, "Header without colon");
      continue;
    }
    let nameEnd = colon;
    while (nameEnd > start && isWs(src.charCodeAt(nameEnd - 1))) nameEnd--;
    if (!isToken(src, start, nameEnd)) {
      fail(failure, "Invalid header name");
      continue;
    }
    const name = src.slice(start, nameEnd);
    const value = trimWs(src, colon + 1, end);
    const info = lookupHeader(name);
    if (info === undefined) {
      headers.pushCanonical(name, name.toLowerCase(), value);
    } else if (info.list) {
      if (value.indexOf(",") < 0) {
        headers.pushCanonical(info.name, info.key, value);
      } else {
        const parts = splitList(value);
        if (parts.length === 0) headers.pushCanonical(info.name, info.key, value);
        for (const part of parts) headers.pushCanonical(info.name, info.key, part);
      }
    } else {
      headers.pushCanonical(info.name, info.key, value);
      if (info.key === "content-length") {
        const n = parseDigits(value, 9);
        if (n === undefined) fail(failure, "Invalid Content-Length");
        else if (n > limits.maxMessageSize) fail(failure, "Content-Length too large", 513);
        else if (contentLength !== undefined && contentLength !== n) fail(failure, "Conflicting Content-Length");
        else contentLength = n;
      }
    }
  }

  if (failure.reason !== undefined) {
    throw new SipParseError(failure.reason, { isRequest, status: failure.status, request: partial(message) });
  }
  return { message, contentLength, bodyStart };
}

/** The first problem met while walking a head; the walk goes on to collect the other headers. */
interface Failure {
  reason: string | undefined;
  status: number;
}

function fail(failure: Failure, reason: string, status = 400): void {
  if (failure.reason === undefined) {
    failure.reason = reason;
    failure.status = status;
  }
}

function partial(message: SipMessage): SipParseError["request"] {
  if (!("method" in message)) return undefined;
  return { method: message.method, uri: message.uri, headers: message.headers };
}

/** Method SP Request-URI SP SIP-Version, single spaces only (RFC 4475 §3.1.2.9, §3.1.2.10). */
function parseRequestLine(line: string, failure: Failure): SipRequest {
  const headers = new SipHeaders();
  const sp1 = line.indexOf(" ");
  const sp2 = sp1 < 0 ? -1 : line.indexOf(" ", sp1 + 1);
  if (sp2 < 0 || line.indexOf(" ", sp2 + 1) >= 0) {
    fail(failure, "Malformed request line");
    const method = sp1 < 0 ? line : line.slice(0, sp1);
    return { method, uri: "", version: "SIP/2.0", headers, body: EMPTY_BODY };
  }
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  if (!isToken(method)) fail(failure, "Invalid method");
  else if (!isPlausibleUri(uri)) fail(failure, "Invalid Request-URI");
  else if (!isSip20(line.slice(sp2 + 1))) fail(failure, "Version Not Supported", 505);
  return { method, uri, version: "SIP/2.0", headers, body: EMPTY_BODY };
}

/** SIP-Version SP Status-Code SP Reason-Phrase; a missing SP after the code is tolerated. Throws. */
function parseStatusLine(line: string): SipResponse {
  const sp1 = line.indexOf(" ");
  if (sp1 < 0) throw new SipParseError("Malformed status line");
  if (!isSip20(line.slice(0, sp1))) throw new SipParseError("Version Not Supported");
  const c0 = line.charCodeAt(sp1 + 1) - 48;
  const c1 = line.charCodeAt(sp1 + 2) - 48;
  const c2 = line.charCodeAt(sp1 + 3) - 48;
  const after = line.length === sp1 + 4 ? 32 : line.charCodeAt(sp1 + 4);
  if (!(c0 >= 1 && c0 <= 6 && c1 >= 0 && c1 <= 9 && c2 >= 0 && c2 <= 9) || after !== 32) {
    throw new SipParseError("Invalid status code");
  }
  return {
    status: c0 * 100 + c1 * 10 + c2,
    reason: line.slice(sp1 + 5),
    version: "SIP/2.0",
    headers: new SipHeaders(),
    body: EMPTY_BODY,
  };
}

/** Attaches the body to a parsed head. */
export function withBody(head: ParsedHead, body: Buffer): SipMessage {
  head.message.body = body;
  return head.message;
}

/**
 * Parses one SIP message from a datagram (or, with `stream: true`, from exactly one framed
 * stream message). Throws `SipParseError` for anything malformed or over the limits.
 */
export function parseMessage(input: Buffer | string, options: ParseOptions = {}): SipMessage {
  const buf = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  const limits = resolveLimits(options);
  if (buf.length > limits.maxMessageSize) {
    throw new SipParseError("Message Too Large", {
      isRequest: looksLikeRequest(buf, skipLeadingNewlines(buf)),
      status: 513,
    });
  }
  const head = parseHead(buf, limits);
  const available = buf.length - head.bodyStart;
  const declared = head.contentLength;
  let problem: string | undefined;
  let length = available;
  if (declared === undefined) {
    if (options.stream) problem = "Missing Content-Length";
  } else if (declared > available) {
    problem = "Body shorter than Content-Length";
  } else {
    if (declared < available && (options.stream || options.trailingBytes === "reject")) {
      problem = "Body longer than Content-Length";
    }
    length = declared;
  }
  if (problem !== undefined) {
    const isRequest = "method" in head.message;
    throw new SipParseError(problem, { isRequest, request: partial(head.message) });
  }
  const body = length === 0 ? EMPTY_BODY : Buffer.from(buf.subarray(head.bodyStart, head.bodyStart + length));
  return withBody(head, body);
}
