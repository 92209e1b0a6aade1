// Parsers and formatters for the structured header values a registrar and proxy need
// (RFC 3261 §20 and §25.1; digest fields from RFC 3261 §22.4 and RFC 8760).

import {
  formatParams,
  inTable,
  isDigit,
  isToken,
  isWs,
  parseDigits,
  parseParams,
  quote,
  readQuoted,
  skipWs,
  TOKEN_CHARS,
  trimWs,
} from "./chars.js";
import { SipParseError } from "./errors.js";
import { isValidHost } from "./uri.js";

export { unquote } from "./chars.js";

function fail(reason: string): never {
  throw new SipParseError(reason);
}

// ---------------------------------------------------------------------------------------------
// name-addr / addr-spec (From, To, Contact, Route, Record-Route, Refer-To, ...)

export interface NameAddr {
  /** Unquoted display name; undefined when absent. */
  displayName: string | undefined;
  /** The URI as written (any scheme); `parseUri` for sip/sips. */
  uri: string;
  /** Header parameters (`tag`, `expires`, `q`, ...): names lowercased, values as written, quotes kept. */
  params: Map<string, string | null>;
}

/** Chars that cannot appear in an addr-spec written without angle brackets (RFC 3261 §20.10). */
function isBareUriChar(c: number): boolean {
  return c > 32 && c < 127 && c !== 44 && c !== 63 && c !== 59 && c !== 60 && c !== 62 && c !== 34;
}

/**
 * `[display-name] <uri> *(;param)` or `addr-spec *(;param)`. In the second form the URI stops at
 * the first `;` (what follows are header parameters) and may not contain `,` or `?`.
 */
export function parseNameAddr(value: string): NameAddr {
  const len = value.length;
  let i = skipWs(value, 0);
  if (i >= len) fail("Empty address");
  let displayName: string | undefined;
  let uri: string;

  const first = value.charCodeAt(i);
  let lt = -1;
  if (first === 34) {
    const quoted = readQuoted(value, i);
    displayName = quoted.value;
    i = skipWs(value, quoted.end);
    if (value.charCodeAt(i) !== 60) fail("Expected < after display name");
    lt = i;
  } else {
    // A token display name (tokens separated by LWS) ends at '<'; any other char means addr-spec.
    let j = i;
    while (j < len) {
      const c = value.charCodeAt(j);
      if (c === 60) {
        lt = j;
        break;
      }
      if (!inTable(TOKEN_CHARS, c) && !isWs(c)) break;
      j++;
    }
    if (lt >= 0) {
      const name = trimWs(value, i, lt);
      displayName = name === "" ? undefined : name;
    }
  }

  if (lt >= 0) {
    const gt = value.indexOf(">", lt + 1);
    if (gt < 0) fail("Unterminated <uri>");
    uri = value.slice(lt + 1, gt);
    if (uri === "") fail("Empty URI");
    for (let k = 0; k < uri.length; k++) {
      const c = uri.charCodeAt(k);
      if (c <= 32 || c === 127 || c === 60) fail("Invalid character in URI");
    }
    i = gt + 1;
  } else {
    const start = i;
    while (i < len && isBareUriChar(value.charCodeAt(i))) i++;
    uri = value.slice(start, i);
    if (uri === "" || uri.indexOf(":") < 0) fail("Invalid address");
    const next = skipWs(value, i);
    if (next < len && value.charCodeAt(next) !== 59) fail("Invalid character in address");
  }
  return { displayName, uri, params: parseParams(value, i) };
}

/** Always writes the `<uri>` form, quoting the display name, so parameters stay unambiguous. */
export function formatNameAddr(address: NameAddr): string {
  for (let i = 0; i < address.uri.length; i++) {
    const c = address.uri.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 60 || c === 62) throw new TypeError("Invalid character in URI");
  }
  const name = address.displayName === undefined ? "" : `${quote(address.displayName)} `;
  return `${name}<${address.uri}>${formatParams(address.params)}`;
}

/** The `tag` parameter of a From or To value, or undefined (also when the value is malformed). */
export function getTag(value: string): string | undefined {
  try {
    return parseNameAddr(value).params.get("tag") ?? undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Via

export interface Via {
  /** Uppercased transport: UDP, TCP, TLS, SCTP, WS, WSS or an extension token. */
  transport: string;
  /** sent-by host: hostname (lowercased), IPv4, or `[IPv6]`. */
  host: string;
  port: number | undefined;
  /**
   * via-params in order: branch, received, rport (null when sent without a value, RFC 3581),
   * maddr, ttl, extensions. Names lowercased, values as written.
   */
  params: Map<string, string | null>;
}

function readToken(s: string, i: number): number {
  while (i < s.length && inTable(TOKEN_CHARS, s.charCodeAt(i))) i++;
  return i;
}

function expectSlash(s: string, i: number): number {
  i = skipWs(s, i);
  if (s.charCodeAt(i) !== 47) fail("Malformed Via protocol");
  return skipWs(s, i + 1);
}

/** One via-parm: `SIP / 2.0 / UDP host[:port] *(;param)`, whitespace allowed around `/`, `:` and `;`. */
export function parseVia(value: string): Via {
  const len = value.length;
  let i = skipWs(value, 0);
  let end = readToken(value, i);
  if (value.slice(i, end).toUpperCase() !== "SIP") fail("Via protocol is not SIP");
  i = expectSlash(value, end);
  end = readToken(value, i);
  if (value.slice(i, end) !== "2.0") fail("Via version is not 2.0");
  i = expectSlash(value, end);
  end = readToken(value, i);
  if (end === i) fail("Missing Via transport");
  const transport = value.slice(i, end).toUpperCase();
  i = end;
  if (!isWs(value.charCodeAt(i))) fail("Missing Via sent-by");
  i = skipWs(value, i);

  let host: string;
  if (value.charCodeAt(i) === 91) {
    const close = value.indexOf("]", i);
    if (close < 0) fail("Invalid Via host");
    host = value.slice(i, close + 1).toLowerCase();
    i = close + 1;
  } else {
    const start = i;
    while (i < len) {
      const c = value.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46)) break;
      i++;
    }
    host = value.slice(start, i).toLowerCase();
  }
  if (!isValidHost(host)) fail("Invalid Via host");

  let port: number | undefined;
  const afterHost = skipWs(value, i);
  if (value.charCodeAt(afterHost) === 58) {
    i = skipWs(value, afterHost + 1);
    const start = i;
    while (i < len && isDigit(value.charCodeAt(i))) i++;
    port = parseDigits(value.slice(start, i), 5);
    if (port === undefined || port > 65535) fail("Invalid Via port");
  }

  const params = parseParams(value, i);
  const ttl = params.get("ttl");
  if (ttl !== undefined) {
    const n = ttl === null ? undefined : parseDigits(ttl, 3);
    if (n === undefined || n > 255) fail("Invalid Via ttl");
  }
  const rport = params.get("rport");
  if (rport !== undefined && rport !== null) {
    const n = parseDigits(rport, 5);
    if (n === undefined || n > 65535) fail("Invalid Via rport");
  }
  for (const name of ["received", "maddr"]) {
    const v = params.get(name);
    if (v !== undefined && (v === null || !isValidHost(v.indexOf(":") >= 0 && v.charCodeAt(0) !== 91 ? `[${v}]` : v))) {
      fail(`Invalid Via ${name}`);
    }
  }
  const branch = params.get("branch");
  if (branch !== undefined && (branch === null || !isToken(branch))) fail("Invalid Via branch");
  return { transport, host, port, params };
}

export function formatVia(via: Via): string {
  if (!isToken(via.transport)) throw new TypeError(`Invalid transport: ${via.transport}`);
  if (!isValidHost(via.host)) throw new TypeError(`Invalid host: ${via.host}`);
  const port = via.port === undefined ? "" : `:${via.port}`;
  return `SIP/2.0/${via.transport} ${via.host}${port}${formatParams(via.params)}`;
}

// ---------------------------------------------------------------------------------------------
// CSeq, Max-Forwards, Expires

export interface CSeq {
  seq: number;
  method: string;
}

const MAX_UINT32 = 4_294_967_295;

/** `1*DIGIT LWS Method`; the number must fit 32 bits unsigned (RFC 3261 §8.1.1.5). */
export function parseCSeq(value: string): CSeq {
  const len = value.length;
  let i = skipWs(value, 0);
  const start = i;
  while (i < len && isDigit(value.charCodeAt(i))) i++;
  const seq = parseDigits(value.slice(start, i), 10);
  if (seq === undefined || seq > MAX_UINT32) fail("Invalid CSeq number");
  if (!isWs(value.charCodeAt(i))) fail("Malformed CSeq");
  i = skipWs(value, i);
  const methodStart = i;
  i = readToken(value, i);
  if (i === methodStart || skipWs(value, i) !== len) fail("Malformed CSeq");
  return { seq, method: value.slice(methodStart, i) };
}

export function formatCSeq(cseq: CSeq): string {
  if (!Number.isInteger(cseq.seq) || cseq.seq < 0 || cseq.seq > MAX_UINT32) throw new TypeError("Invalid CSeq number");
  if (!isToken(cseq.method)) throw new TypeError("Invalid CSeq method");
  return `${cseq.seq} ${cseq.method}`;
}

/** Max-Forwards: 1*DIGIT in 0..255 (leading zeros allowed); undefined when malformed. */
export function parseMaxForwards(value: string): number | undefined {
  const n = parseDigits(value, 3);
  return n === undefined || n > 255 ? undefined : n;
}

/**
 * delta-seconds (Expires, Min-Expires, the Contact `expires` parameter): 1*DIGIT. Values beyond
 * 2^32-1 are clamped to it rather than refused. Undefined when not digits.
 */
export function parseDeltaSeconds(value: string): number | undefined {
  const len = value.length;
  if (len === 0) return undefined;
  for (let i = 0; i < len; i++) if (!isDigit(value.charCodeAt(i))) return undefined;
  const n = parseDigits(value, 10);
  return n === undefined || n > MAX_UINT32 ? MAX_UINT32 : n;
}

export interface ExpiresBounds {
  /** Shortest accepted non-zero interval; below it the registrar answers 423 with Min-Expires. */
  min: number;
  /** Longer intervals are shortened to this (RFC 3261 §10.3 step 7 lets the registrar decrease them). */
  max: number;
}

export type ExpiresResult =
  | { ok: true; seconds: number }
  | { ok: false; reason: "malformed" }
  | { ok: false; reason: "too-brief"; min: number };

/** Parses an expiry and applies a registrar's bounds. 0 (remove the binding) is always accepted. */
export function parseExpires(value: string, bounds: ExpiresBounds): ExpiresResult {
  const seconds = parseDeltaSeconds(trimWs(value));
  if (seconds === undefined) return { ok: false, reason: "malformed" };
  if (seconds === 0) return { ok: true, seconds };
  if (seconds < bounds.min) return { ok: false, reason: "too-brief", min: bounds.min };
  return { ok: true, seconds: Math.min(seconds, bounds.max) };
}

// ---------------------------------------------------------------------------------------------
// Authentication (Authorization, Proxy-Authorization, WWW-Authenticate, Proxy-Authenticate)

export interface AuthHeader {
  /** As written, e.g. "Digest". Compare case-insensitively. */
  scheme: string;
  /** Parameter names lowercased; quoted values unescaped. */
  params: Map<string, string>;
}

/**
 * `scheme LWS auth-param *(COMMA auth-param)`, where auth-param = name EQUAL (token / quoted-string).
 * Unquoted values are taken up to the next comma or whitespace (some phones send `uri=sip:...`
 * unquoted). Duplicate parameters are refused.
 */
export function parseAuthHeader(value: string): AuthHeader {
  const len = value.length;
  let i = skipWs(value, 0);
  const schemeEnd = readToken(value, i);
  if (schemeEnd === i) fail("Missing authentication scheme");
  const scheme = value.slice(i, schemeEnd);
  if (schemeEnd < len && !isWs(value.charCodeAt(schemeEnd))) fail("Malformed authentication header");
  i = skipWs(value, schemeEnd);
  const params = new Map<string, string>();
  while (i < len) {
    if (value.charCodeAt(i) === 44) {
      i = skipWs(value, i + 1);
      continue;
    }
    const nameStart = i;
    i = readToken(value, i);
    if (i === nameStart) fail("Malformed authentication parameter");
    const name = value.slice(nameStart, i).toLowerCase();
    i = skipWs(value, i);
    if (value.charCodeAt(i) !== 61) fail("Malformed authentication parameter");
    i = skipWs(value, i + 1);
    let paramValue: string;
    if (value.charCodeAt(i) === 34) {
      const quoted = readQuoted(value, i);
      paramValue = quoted.value;
      i = quoted.end;
    } else {
      const start = i;
      while (i < len) {
        const c = value.charCodeAt(i);
        if (c === 44 || isWs(c) || c === 34) break;
        i++;
      }
      if (i === start) fail("Empty authentication parameter");
      paramValue = value.slice(start, i);
    }
    if (params.has(name)) fail("Duplicate authentication parameter");
    params.set(name, paramValue);
    i = skipWs(value, i);
    if (i < len && value.charCodeAt(i) !== 44) fail("Malformed authentication header");
  }
  return { scheme, params };
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  /** Lowercase hex as received. */
  response: string;
  /** "MD5" when absent (RFC 3261); also "SHA-256", "SHA-512-256" and "-sess" variants (RFC 8760). */
  algorithm: string;
  cnonce: string | undefined;
  /** "auth" or "auth-int"; undefined for RFC 2069 style digests. */
  qop: string | undefined;
  /** Eight hex digits, present with qop. */
  nc: string | undefined;
  opaque: string | undefined;
  /** RFC 8760 userhash=true: `username` is the hash of user and realm. */
  userhash: boolean;
  /** Every parameter, for anything not listed above. */
  params: Map<string, string>;
}

function isHex(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

function requiredParam(params: Map<string, string>, name: string): string {
  const value = params.get(name);
  if (value === undefined) fail(`Missing ${name} in credentials`);
  return value;
}

/** The Digest credentials of an Authorization or Proxy-Authorization value; throws when incomplete. */
export function parseDigestCredentials(value: string): DigestCredentials {
  const { scheme, params } = parseAuthHeader(value);
  if (scheme.toLowerCase() !== "digest") fail("Not Digest credentials");
  const username = requiredParam(params, "username");
  const realm = requiredParam(params, "realm");
  const nonce = requiredParam(params, "nonce");
  const uri = requiredParam(params, "uri");
  const response = requiredParam(params, "response");
  if (!isHex(response)) fail("Invalid digest response");
  const qop = params.get("qop");
  const cnonce = params.get("cnonce");
  const nc = params.get("nc");
  if (qop !== undefined) {
    if (!isToken(qop)) fail("Invalid qop");
    if (cnonce === undefined || cnonce === "") fail("Missing cnonce in credentials");
    if (nc === undefined || nc.length !== 8 || !isHex(nc)) fail("Invalid nc in credentials");
  }
  const algorithm = params.get("algorithm") ?? "MD5";
  if (!isToken(algorithm)) fail("Invalid algorithm");
  return {
    username,
    realm,
    nonce,
    uri,
    response: response.toLowerCase(),
    algorithm,
    cnonce,
    qop,
    nc,
    opaque: params.get("opaque"),
    userhash: params.get("userhash")?.toLowerCase() === "true",
    params,
  };
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  /** Omitted from the header when undefined (MD5 implied). */
  algorithm?: string | undefined;
  /** Offered qop values, e.g. ["auth"]. */
  qop?: string[] | undefined;
  opaque?: string | undefined;
  /** True when the nonce expired but the credentials were right (RFC 3261 §22.4 / RFC 2617). */
  stale?: boolean | undefined;
  domain?: string | undefined;
  /** RFC 8760. */
  userhash?: boolean | undefined;
}

/** The Digest challenge of a WWW-Authenticate or Proxy-Authenticate value. */
export function parseDigestChallenge(value: string): DigestChallenge {
  const { scheme, params } = parseAuthHeader(value);
  if (scheme.toLowerCase() !== "digest") fail("Not a Digest challenge");
  const realm = params.get("realm");
  const nonce = params.get("nonce");
  if (realm === undefined || nonce === undefined) fail("Incomplete Digest challenge");
  const qop = params.get("qop");
  return {
    realm,
    nonce,
    algorithm: params.get("algorithm"),
    qop:
      qop === undefined
        ? undefined
        : qop
            .split(",")
            .map((q) => trimWs(q))
            .filter((q) => q !== ""),
    opaque: params.get("opaque"),
    stale: params.has("stale") ? params.get("stale")?.toLowerCase() === "true" : undefined,
    domain: params.get("domain"),
    userhash: params.has("userhash") ? params.get("userhash")?.toLowerCase() === "true" : undefined,
  };
}

/**
 * `Digest realm="...", nonce="...", algorithm=SHA-256, qop="auth", opaque="...", stale=TRUE`.
 * realm, nonce, opaque, domain and qop are quoted (RFC 3261 §25.1); algorithm and stale are tokens.
 */
export function formatDigestChallenge(challenge: DigestChallenge): string {
  let out = `Digest realm=${quote(challenge.realm)}, nonce=${quote(challenge.nonce)}`;
  if (challenge.algorithm !== undefined) {
    if (!isToken(challenge.algorithm)) throw new TypeError("Invalid algorithm");
    out += `, algorithm=${challenge.algorithm}`;
  }
  if (challenge.qop !== undefined && challenge.qop.length > 0) {
    for (const q of challenge.qop) if (!isToken(q)) throw new TypeError("Invalid qop");
    out += `, qop=${quote(challenge.qop.join(","))}`;
  }
  if (challenge.opaque !== undefined) out += `, opaque=${quote(challenge.opaque)}`;
  if (challenge.domain !== undefined) out += `, domain=${quote(challenge.domain)}`;
  if (challenge.stale !== undefined) out += `, stale=${challenge.stale ? "TRUE" : "FALSE"}`;
  if (challenge.userhash !== undefined) out += `, userhash=${challenge.userhash ? "true" : "false"}`;
  return out;
}
