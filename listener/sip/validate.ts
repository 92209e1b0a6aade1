// Whether a parsed request may be processed (RFC 3261 §8.1.1, §8.2).

import { parseCSeq, parseMaxForwards } from "./headers.js";
import type { SipRequest } from "./message.js";
import { parseNameAddr } from "./name-addr.js";
import { parseVia } from "./via.js";

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
