// CSeq, Max-Forwards and Expires (RFC 3261 §20.16, §20.19, §20.22). Addresses are in
// name-addr.ts, Via in via.ts, authentication headers in auth-fields.ts.

import { isDigit, isToken, isWs, parseDigits, skipWs, tokenEnd, trimWs } from "./chars.js";
import { parseFailure } from "./errors.js";

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
  if (seq === undefined || seq > MAX_UINT32) parseFailure("Invalid CSeq number");
  if (!isWs(value.charCodeAt(i))) parseFailure("Malformed CSeq");
  i = skipWs(value, i);
  const methodStart = i;
  i = tokenEnd(value, i);
  if (i === methodStart || skipWs(value, i) !== len) parseFailure("Malformed CSeq");
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
