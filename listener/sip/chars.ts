// Character classes and small scanners shared by the SIP parsers (RFC 3261 §25.1).
// Everything works on char codes with index arithmetic: no regular expressions, so no
// backtracking, and every scanner is linear in its input.

import { SipParseError } from "./errors.js";

function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

const ALPHANUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN_CHARS = charTable(`${ALPHANUM}-.!%*_+\`'~`);

/** Characters of a `host` (hostname, IPv4, IPv6 reference) as they may appear in a parameter value. */
const HOST_CHARS = charTable(`${ALPHANUM}-.[]:`);

export function inTable(table: Uint8Array, c: number): boolean {
  return c < 128 && table[c] === 1;
}

/** The index just past the token that starts at `i` (`i` itself when none does). */
export function tokenEnd(s: string, i: number): number {
  while (i < s.length && inTable(TOKEN_CHARS, s.charCodeAt(i))) i++;
  return i;
}

/** True when `s[start..end)` is a non-empty token. */
export function isToken(s: string, start = 0, end = s.length): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) return false;
  }
  return true;
}

export function isWs(c: number): boolean {
  return c === 32 || c === 9;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Index of the first non-SP/HTAB character at or after `i`. */
export function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** Trims SP and HTAB only (String#trim would also eat NBSP and other Unicode spaces). */
export function trimWs(s: string, start = 0, end = s.length): string {
  while (start < end && isWs(s.charCodeAt(start))) start++;
  while (end > start && isWs(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/**
 * Reads a quoted-string whose opening quote is at `i`; returns the unescaped content and the index
 * after the closing quote. A quoted-pair (`\` + any char) stands for the char.
 */
export function readQuoted(s: string, i: number): { value: string; end: number } {
  let out = "";
  let runStart = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) {
      if (j + 1 >= s.length) break;
      out += s.slice(runStart, j);
      runStart = j + 1;
      j++;
    } else if (c === 34) {
      return { value: out + s.slice(runStart, j), end: j + 1 };
    }
  }
  throw new SipParseError("Unterminated quoted string");
}

/** Index after the closing quote of the quoted-string starting at `i`, or -1 when it does not end. */
export function skipQuoted(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j + 1;
  }
  return -1;
}

/** Wraps a string in quotes, escaping `"` and `\`. Refuses CR and LF (they would end the header). */
export function quote(s: string): string {
  let out = '"';
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 13 || c === 10) throw new TypeError("CR or LF in a quoted string");
    if (c === 34 || c === 92) {
      out += `${s.slice(runStart, i)}\\`;
      runStart = i;
    }
  }
  return `${out}${s.slice(runStart)}"`;
}

/**
 * Splits a header value on the commas that separate list elements: never inside a quoted-string
 * or between `<` and `>`. Elements are trimmed; empty elements are dropped.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34) {
      const end = skipQuoted(value, i);
      if (end < 0) break; // unterminated: the rest is one element, its own parser will refuse it
      i = end - 1;
    } else if (c === 60) {
      inAngle = true;
    } else if (c === 62) {
      inAngle = false;
    } else if (c === 44 && !inAngle) {
      const part = trimWs(value, start, i);
      if (part !== "") out.push(part);
      start = i + 1;
    }
  }
  const last = trimWs(value, start);
  if (last !== "") out.push(last);
  return out;
}

/**
 * Header parameters after a name-addr, a Via sent-by and similar:
 * `*( SEMI name [ EQUAL value ] )` with optional whitespace around `;` and `=`.
 * Names are lowercased; values are kept as written (a quoted value keeps its quotes, see `unquote`).
 * Stops at the end of the string; anything that is not a parameter is an error.
 */
export function parseParams(s: string, i: number): Map<string, string | null> {
  const params = new Map<string, string | null>();
  const len = s.length;
  i = skipWs(s, i);
  while (i < len) {
    if (s.charCodeAt(i) !== 59) throw new SipParseError("Unexpected characters before parameters");
    i = skipWs(s, i + 1);
    const nameStart = i;
    while (i < len && inTable(TOKEN_CHARS, s.charCodeAt(i))) i++;
    if (i === nameStart) throw new SipParseError("Empty parameter name");
    const name = s.slice(nameStart, i).toLowerCase();
    if (params.has(name)) throw new SipParseError("Duplicate parameter");
    i = skipWs(s, i);
    let value: string | null = null;
    if (i < len && s.charCodeAt(i) === 61) {
      i = skipWs(s, i + 1);
      const valueStart = i;
      if (i < len && s.charCodeAt(i) === 34) {
        i = skipQuoted(s, i);
        if (i < 0) throw new SipParseError("Unterminated quoted string");
      } else {
        while (i < len && (inTable(TOKEN_CHARS, s.charCodeAt(i)) || inTable(HOST_CHARS, s.charCodeAt(i)))) i++;
        if (i === valueStart) throw new SipParseError("Empty parameter value");
      }
      value = s.slice(valueStart, i);
      i = skipWs(s, i);
    }
    params.set(name, value);
  }
  return params;
}

/** `"a \"b\""` → `a "b"`; a value without quotes is returned unchanged. */
export function unquote(value: string): string {
  if (value.length < 2 || value.charCodeAt(0) !== 34) return value;
  const { value: inner, end } = readQuoted(value, 0);
  if (end !== value.length) throw new SipParseError("Characters after a quoted string");
  return inner;
}

/** Formats parameters for a header: `;name=value;flag`. Refuses names and values that would break the header. */
export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = "";
  for (const [name, value] of params) {
    if (!isToken(name)) throw new TypeError(`Invalid parameter name: ${name}`);
    if (value === null) {
      out += `;${name}`;
    } else {
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c === 13 || c === 10) throw new TypeError("CR or LF in a parameter value");
      }
      out += `;${name}=${value}`;
    }
  }
  return out;
}

/** Parses 1*DIGIT into a number; undefined when not all digits or longer than `maxDigits` after leading zeros. */
export function parseDigits(s: string, maxDigits: number): number | undefined {
  const len = s.length;
  if (len === 0) return undefined;
  let i = 0;
  for (let j = 0; j < len; j++) if (!isDigit(s.charCodeAt(j))) return undefined;
  while (i < len - 1 && s.charCodeAt(i) === 48) i++;
  if (len - i > maxDigits) return undefined;
  let n = 0;
  for (; i < len; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
}
