// SIP and SIPS URIs (RFC 3261 §19.1, grammar in §25.1).

import { isIPv6 } from "node:net";
import { inTable, isDigit } from "./chars.js";
import { SipParseError } from "./errors.js";

export interface SipUri {
  scheme: "sip" | "sips";
  /** Percent-decoded user part (may contain `;`, `?`, `@` and even NUL once decoded); undefined when absent. */
  user: string | undefined;
  /** Lowercased hostname or IPv4 address, or an IPv6 reference with its brackets (`[2001:db8::1]`). */
  host: string;
  port: number | undefined;
  /** uri-parameters in order: names lowercased, names and values percent-decoded, `null` for a flag like `lr`. */
  params: Map<string, string | null>;
  /** `?name=value&...` headers, percent-decoded, in order. */
  headers: Array<[string, string]>;
}

export interface ParseUriOptions {
  /** Headers (`?...`) are meaningful in Contact and Refer-To, but not in a Request-URI (RFC 3261 §19.1.5). Default true. */
  allowHeaders?: boolean;
}

function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

const UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()";
/** user = 1*( unreserved / escaped / user-unreserved ) */
const USER_CHARS = charTable(`${UNRESERVED}&=+$,;?/`);
/** paramchar = param-unreserved / unreserved / escaped */
const PARAM_CHARS = charTable(`${UNRESERVED}[]/:&+$`);
/** hname / hvalue = *( hnv-unreserved / unreserved / escaped ) */
const HNV_CHARS = charTable(`${UNRESERVED}[]/?:+$`);
const HOST_CHARS = charTable("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.");

const utf8 = new TextDecoder("utf-8", { fatal: true });

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Decodes `s[start..end)` where only `allowed` chars and `%XX` escapes may appear. Returns undefined
 * for a stray `%`, a forbidden char, or escapes that are not UTF-8 (they could not be compared or
 * re-encoded faithfully as a JavaScript string).
 */
function decode(s: string, start: number, end: number, allowed: Uint8Array): string | undefined {
  let escapes = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      if (i + 2 >= end) return undefined;
      if (hexValue(s.charCodeAt(i + 1)) < 0 || hexValue(s.charCodeAt(i + 2)) < 0) return undefined;
      escapes = true;
      i += 2;
    } else if (!inTable(allowed, c)) {
      return undefined;
    }
  }
  if (!escapes) return s.slice(start, end);
  const bytes: number[] = [];
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      bytes.push(hexValue(s.charCodeAt(i + 1)) * 16 + hexValue(s.charCodeAt(i + 2)));
      i += 2;
    } else {
      bytes.push(c);
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

const HEX = "0123456789ABCDEF";

/** Percent-encodes every char outside `allowed` (as UTF-8 octets). */
function encode(s: string, allowed: Uint8Array): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    if (!inTable(allowed, s.charCodeAt(i))) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    if (inTable(allowed, byte)) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function isIPv4(s: string): boolean {
  let parts = 0;
  let i = 0;
  while (i <= s.length) {
    const start = i;
    let n = 0;
    while (i < s.length && isDigit(s.charCodeAt(i))) {
      n = n * 10 + (s.charCodeAt(i) - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || n > 255) return false;
    parts++;
    if (i === s.length) break;
    if (s.charCodeAt(i) !== 46) return false;
    i++;
  }
  return parts === 4;
}

/**
 * host = hostname / IPv4address / IPv6reference. Hostnames are dot-separated labels of letters,
 * digits and hyphens (a trailing dot is allowed); a name made only of digits and dots must be a
 * valid IPv4 address.
 */
export function isValidHost(host: string): boolean {
  const len = host.length;
  if (len === 0) return false;
  if (host.charCodeAt(0) === 91) return len > 2 && host.charCodeAt(len - 1) === 93 && isIPv6(host.slice(1, -1));
  let numeric = true;
  let labelLength = 0;
  for (let i = 0; i < len; i++) {
    const c = host.charCodeAt(i);
    if (c === 46) {
      if (labelLength === 0) return false;
      labelLength = 0;
    } else if (inTable(HOST_CHARS, c)) {
      if (!isDigit(c)) numeric = false;
      labelLength++;
    } else {
      return false;
    }
  }
  return numeric ? isIPv4(host) : true;
}

function fail(reason: string, status = 400): never {
  throw new SipParseError(reason, { status });
}

/**
 * Parses a `sip:` or `sips:` URI. Other schemes throw with status 416 (Unsupported URI Scheme).
 * A password (`user:password@`) is refused: RFC 3261 §19.1.1 says it SHOULD NOT be used, and it
 * would end up in logs and location records.
 */
export function parseUri(text: string, options: ParseUriOptions = {}): SipUri {
  const len = text.length;
  const colon = text.indexOf(":");
  if (colon <= 0) fail("Invalid URI");
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme !== "sip" && scheme !== "sips") fail("Unsupported URI scheme", 416);

  let i = colon + 1;
  let user: string | undefined;
  const at = text.indexOf("@", i);
  if (at >= 0) {
    if (at === i) fail("Empty user part in URI");
    for (let j = i; j < at; j++) if (text.charCodeAt(j) === 58) fail("Password in URI not allowed");
    user = decode(text, i, at, USER_CHARS);
    if (user === undefined) fail("Invalid user part in URI");
    i = at + 1;
  }

  let host: string;
  if (text.charCodeAt(i) === 91) {
    const close = text.indexOf("]", i);
    if (close < 0) fail("Invalid host in URI");
    host = text.slice(i, close + 1).toLowerCase();
    i = close + 1;
  } else {
    const start = i;
    while (i < len && inTable(HOST_CHARS, text.charCodeAt(i))) i++;
    host = text.slice(start, i).toLowerCase();
  }
  if (!isValidHost(host)) fail("Invalid host in URI");

  let port: number | undefined;
  if (i < len && text.charCodeAt(i) === 58) {
    const start = ++i;
    let n = 0;
    while (i < len && isDigit(text.charCodeAt(i)) && i - start < 5) n = n * 10 + (text.charCodeAt(i++) - 48);
    if (i === start || n > 65535 || (i < len && isDigit(text.charCodeAt(i)))) fail("Invalid port in URI");
    port = n;
  }

  const params = new Map<string, string | null>();
  while (i < len && text.charCodeAt(i) === 59) {
    const start = ++i;
    let eq = -1;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c === 59 || c === 63) break;
      if (c === 61 && eq < 0) eq = i;
      i++;
    }
    const nameEnd = eq < 0 ? i : eq;
    const name = decode(text, start, nameEnd, PARAM_CHARS)?.toLowerCase();
    if (name === undefined || name === "") fail("Invalid URI parameter");
    let value: string | null = null;
    if (eq >= 0) {
      const decoded = decode(text, eq + 1, i, PARAM_CHARS);
      if (decoded === undefined) fail("Invalid URI parameter");
      value = decoded;
    }
    if (params.has(name)) fail("Duplicate URI parameter");
    params.set(name, value);
  }

  const headers: Array<[string, string]> = [];
  if (i < len && text.charCodeAt(i) === 63) {
    if (options.allowHeaders === false) fail("Headers not allowed in this URI");
    i++;
    while (i <= len) {
      const start = i;
      let eq = -1;
      while (i < len && text.charCodeAt(i) !== 38) {
        if (text.charCodeAt(i) === 61 && eq < 0) eq = i;
        i++;
      }
      if (eq < 0) fail("Invalid URI header");
      const name = decode(text, start, eq, HNV_CHARS);
      const value = decode(text, eq + 1, i, HNV_CHARS);
      if (name === undefined || name === "" || value === undefined) fail("Invalid URI header");
      headers.push([name, value]);
      i++;
    }
    i = len;
  }

  if (i !== len) fail("Invalid URI");
  return { scheme, user, host, port, params, headers };
}

/** Serializes a SIP URI, percent-encoding what the grammar does not allow verbatim. */
export function formatUri(uri: SipUri): string {
  if (!isValidHost(uri.host)) throw new TypeError(`Invalid host: ${uri.host}`);
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) out += `${encode(uri.user, USER_CHARS)}@`;
  out += uri.host;
  if (uri.port !== undefined) {
    if (!Number.isInteger(uri.port) || uri.port < 0 || uri.port > 65535)
      throw new TypeError(`Invalid port: ${uri.port}`);
    out += `:${uri.port}`;
  }
  for (const [name, value] of uri.params) {
    out += `;${encode(name, PARAM_CHARS)}`;
    if (value !== null) out += `=${encode(value, PARAM_CHARS)}`;
  }
  let sep = "?";
  for (const [name, value] of uri.headers) {
    out += `${sep}${encode(name, HNV_CHARS)}=${encode(value, HNV_CHARS)}`;
    sep = "&";
  }
  return out;
}
