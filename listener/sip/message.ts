// SIP messages (RFC 3261 §7) and the datagram parser.
//
// The parser finds the end of the header section with Buffer#indexOf, decodes only that part
// to a string, then walks it line by line with indexOf: no regular expression touches a whole
// message, and every step is linear in the input.

import { isToken, isWs, parseDigits, splitList, trimWs } from "./chars.js";
import { SipParseError } from "./errors.js";
import { parseCSeq, parseMaxForwards, parseNameAddr, parseVia } from "./headers.js";

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

// ---------------------------------------------------------------------------------------------
// Header names

interface HeaderInfo {
  /** Canonical spelling, used when serializing. */
  name: string;
  /** Lowercased canonical name: what lookups compare. */
  key: string;
  /** The grammar allows a comma-separated list: split into one entry per element. */
  list: boolean;
}

const KNOWN_HEADERS = [
  "Accept",
  "Accept-Contact",
  "Accept-Encoding",
  "Accept-Language",
  "Alert-Info",
  "Allow",
  "Allow-Events",
  "Authentication-Info",
  "Authorization",
  "Call-ID",
  "Call-Info",
  "Contact",
  "Content-Disposition",
  "Content-Encoding",
  "Content-Language",
  "Content-Length",
  "Content-Type",
  "CSeq",
  "Date",
  "Error-Info",
  "Event",
  "Expires",
  "Flow-Timer",
  "From",
  "History-Info",
  "Identity",
  "In-Reply-To",
  "Max-Forwards",
  "MIME-Version",
  "Min-Expires",
  "Min-SE",
  "Organization",
  "P-Asserted-Identity",
  "P-Associated-URI",
  "P-Preferred-Identity",
  "Path",
  "Priority",
  "Privacy",
  "Proxy-Authenticate",
  "Proxy-Authorization",
  "Proxy-Require",
  "RAck",
  "Reason",
  "Record-Route",
  "Refer-To",
  "Referred-By",
  "Reject-Contact",
  "Replaces",
  "Reply-To",
  "Request-Disposition",
  "Require",
  "Retry-After",
  "Route",
  "RSeq",
  "Security-Client",
  "Security-Server",
  "Security-Verify",
  "Server",
  "Service-Route",
  "Session-Expires",
  "SIP-ETag",
  "SIP-If-Match",
  "Subject",
  "Subscription-State",
  "Supported",
  "Timestamp",
  "To",
  "Unsupported",
  "User-Agent",
  "Via",
  "Warning",
  "WWW-Authenticate",
];

/**
 * Headers whose grammar is `x *(COMMA x)` (RFC 3261 §7.3.1, §20 and extensions). Not the
 * authentication headers: their commas separate parameters of one value. Not Date either.
 */
const LIST_HEADERS = new Set([
  "accept",
  "accept-contact",
  "accept-encoding",
  "accept-language",
  "alert-info",
  "allow",
  "allow-events",
  "call-info",
  "contact",
  "content-encoding",
  "content-language",
  "error-info",
  "history-info",
  "in-reply-to",
  "p-asserted-identity",
  "p-associated-uri",
  "p-preferred-identity",
  "path",
  "proxy-require",
  "reason",
  "record-route",
  "reject-contact",
  "request-disposition",
  "require",
  "route",
  "security-client",
  "security-server",
  "security-verify",
  "service-route",
  "supported",
  "unsupported",
  "via",
  "warning",
]);

/** Compact forms (RFC 3261 §7.3.3 and the extensions registered at IANA). */
const COMPACT_FORMS: Record<string, string> = {
  i: "Call-ID",
  m: "Contact",
  e: "Content-Encoding",
  l: "Content-Length",
  c: "Content-Type",
  f: "From",
  s: "Subject",
  k: "Supported",
  t: "To",
  v: "Via",
  o: "Event",
  r: "Refer-To",
  u: "Allow-Events",
  b: "Referred-By",
  x: "Session-Expires",
  y: "Identity",
  a: "Accept-Contact",
  j: "Reject-Contact",
  d: "Request-Disposition",
};

const HEADER_INFO = new Map<string, HeaderInfo>();
for (const name of KNOWN_HEADERS) {
  const key = name.toLowerCase();
  HEADER_INFO.set(key, { name, key, list: LIST_HEADERS.has(key) });
}
for (const [letter, long] of Object.entries(COMPACT_FORMS)) {
  const info = HEADER_INFO.get(long.toLowerCase());
  if (info) HEADER_INFO.set(letter, info);
}

/** The same entries under their usual spellings, so the common case needs no toLowerCase. */
const EXACT_INFO = new Map<string, HeaderInfo>(HEADER_INFO);
for (const info of HEADER_INFO.values()) EXACT_INFO.set(info.name, info);
for (const [letter, long] of Object.entries(COMPACT_FORMS)) {
  const info = HEADER_INFO.get(long.toLowerCase());
  if (info) EXACT_INFO.set(letter.toUpperCase(), info);
}

function lookupHeader(name: string): HeaderInfo | undefined {
  return EXACT_INFO.get(name) ?? HEADER_INFO.get(name.toLowerCase());
}

/** The canonical spelling of a header name: compact forms expanded, known names normalized. */
export function canonicalHeaderName(name: string): string {
  return lookupHeader(name)?.name ?? name;
}

function headerKey(name: string): string {
  return lookupHeader(name)?.key ?? name.toLowerCase();
}

/** True when the header's values are split on commas by the parser. */
export function isListHeader(name: string): boolean {
  return lookupHeader(name)?.list ?? false;
}

/**
 * The header fields of a message, in order, as `[canonicalName, value]`. Names compare
 * case-insensitively and compact forms are expanded, so `get("v")`, `get("via")` and `get("Via")`
 * are the same. Values of list headers are stored one element per entry.
 */
export class SipHeaders implements Iterable<readonly [string, string]> {
  private readonly list: Array<[string, string]> = [];
  private readonly keys: string[] = [];

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init) for (const [name, value] of init) this.append(name, value);
  }

  get size(): number {
    return this.list.length;
  }

  /** The first value of the header, or undefined. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    const index = this.keys.indexOf(key);
    return index < 0 ? undefined : this.list[index]?.[1];
  }

  /** Every value of the header, in order (one per list element). */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] === key) out.push((this.list[i] as [string, string])[1]);
    }
    return out;
  }

  has(name: string): boolean {
    return this.keys.includes(headerKey(name));
  }

  /** Adds a header at the end; the name is canonicalized, the value stored as given. */
  append(name: string, value: string): this {
    this.list.push([canonicalHeaderName(name), value]);
    this.keys.push(headerKey(name));
    return this;
  }

  /** Replaces every value of the header with one, at the position of the first (or at the end). */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const index = this.keys.indexOf(key);
    if (index < 0) return this.append(name, value);
    this.list[index] = [canonicalHeaderName(name), value];
    this.removeFrom(key, index + 1);
    return this;
  }

  /** Removes every value of the header; returns how many were removed. */
  delete(name: string): number {
    return this.removeFrom(headerKey(name), 0);
  }

  entries(): ReadonlyArray<readonly [string, string]> {
    return this.list;
  }

  [Symbol.iterator](): Iterator<readonly [string, string]> {
    return this.list[Symbol.iterator]();
  }

  /** Parser fast path: name and key already canonical. */
  pushCanonical(name: string, key: string, value: string): void {
    this.list.push([name, value]);
    this.keys.push(key);
  }

  private removeFrom(key: string, start: number): number {
    let write = start;
    for (let read = start; read < this.keys.length; read++) {
      if (this.keys[read] === key) continue;
      this.keys[write] = this.keys[read] as string;
      this.list[write] = this.list[read] as [string, string];
      write++;
    }
    const removed = this.keys.length - write;
    this.keys.length = write;
    this.list.length = write;
    return removed;
  }
}

// ---------------------------------------------------------------------------------------------
// Parser

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

// ---------------------------------------------------------------------------------------------
// Request validation

const REQUIRED_SINGLE = ["From", "To", "Call-ID", "CSeq"] as const;

/**
 * The problems that make a parsed request unacceptable (RFC 3261 §8.1.1, §8.2): each is a short
 * reason phrase for a 400. An empty list means the request may be processed. Max-Forwards is
 * optional here (only checked when present).
 */
export function validateRequest(request: SipRequest): string[] {
  const problems: string[] = [];
  const { headers } = request;

  const vias = headers.getAll("Via");
  if (vias.length === 0) problems.push("Missing Via header");
  for (const via of vias) {
    try {
      parseVia(via);
    } catch {
      problems.push("Malformed Via header");
      break;
    }
  }

  for (const name of REQUIRED_SINGLE) {
    const values = headers.getAll(name);
    if (values.length === 0) problems.push(`Missing ${name} header`);
    else if (values.length > 1) problems.push(`Multiple ${name} headers`);
  }

  for (const name of ["From", "To"] as const) {
    const value = headers.get(name);
    if (value === undefined) continue;
    try {
      parseNameAddr(value);
    } catch {
      problems.push(`Malformed ${name} header`);
    }
  }

  const callId = headers.get("Call-ID");
  if (callId !== undefined) {
    let bad = callId.length === 0;
    for (let i = 0; i < callId.length && !bad; i++) {
      const c = callId.charCodeAt(i);
      bad = c <= 32 || c === 127;
    }
    if (bad) problems.push("Malformed Call-ID header");
  }

  const cseq = headers.get("CSeq");
  if (cseq !== undefined) {
    try {
      if (parseCSeq(cseq).method !== request.method) problems.push("CSeq method does not match request method");
    } catch {
      problems.push("Malformed CSeq header");
    }
  }

  const maxForwards = headers.getAll("Max-Forwards");
  if (maxForwards.length > 1 || (maxForwards[0] !== undefined && parseMaxForwards(maxForwards[0]) === undefined)) {
    problems.push("Invalid Max-Forwards header");
  }
  return problems;
}
