// What the layers above read from a request, parsed once: transaction keys, tags, users.

import { SipHeaders } from "./header-fields.js";
import { parseCSeq } from "./headers.js";
import type { SipRequest } from "./message.js";
import { parseNameAddr } from "./name-addr.js";
import { parseUri } from "./uri.js";
import { formatVia, parseVia, type Via } from "./via.js";

/** RFC 3261 §17.2.3: the branch with the magic cookie identifies a transaction with sent-by. */
const MAGIC_COOKIE = "z9hG4bK";

export function topVia(request: Pick<SipRequest, "headers">): Via | undefined {
  const top = request.headers.get("Via");
  if (top === undefined) return undefined;
  try {
    return parseVia(top);
  } catch {
    return undefined;
  }
}

/**
 * The server transaction a request belongs to (RFC 3261 §17.2.3). ACK and CANCEL share their
 * INVITE's key. A request from an RFC 2543 client (no magic cookie) is keyed by what identifies
 * it there: Call-ID, CSeq number, From tag and sent-by.
 */
export function transactionKey(request: SipRequest): string {
  const via = topVia(request);
  const sentBy = via ? `${via.host}:${via.port ?? 5060}` : "";
  const branch = via?.params.get("branch") ?? "";
  if (branch.startsWith(MAGIC_COOKIE)) return `${branch}|${sentBy}`;
  const seq = cseqOf(request)?.seq ?? 0;
  return `2543|${request.headers.get("Call-ID") ?? ""}|${seq}|${tagOf(request.headers.get("From")) ?? ""}|${sentBy}`;
}

export function cseqOf(request: Pick<SipRequest, "headers">): { seq: number; method: string } | undefined {
  try {
    return parseCSeq(request.headers.get("CSeq") ?? "");
  } catch {
    return undefined;
  }
}

export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).params.get("tag") ?? undefined;
  } catch {
    return undefined;
  }
}

export function userOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseUri(parseNameAddr(value).uri).user;
  } catch {
    return undefined;
  }
}

export function uriOfNameAddr(value: string): string | undefined {
  try {
    return parseNameAddr(value).uri;
  } catch {
    return undefined;
  }
}

export function requestUser(request: SipRequest): string | undefined {
  try {
    return parseUri(request.uri, { allowHeaders: false }).user;
  } catch {
    return undefined;
  }
}

/** Headers with the first `count` values of `name` left out (popping Route or Via). */
export function withoutFirst(headers: SipHeaders, name: string, count = 1): SipHeaders {
  const out = new SipHeaders();
  let skipped = 0;
  for (const [header, value] of headers) {
    if (header === name && skipped < count) {
      skipped++;
      continue;
    }
    out.append(header, value);
  }
  return out;
}

/**
 * RFC 3261 §18.2.1 and RFC 3581: note where the request really came from in its top Via. On a
 * connection (TCP, TLS, WebSocket) the port is noted even unasked: a response relayed statelessly
 * must find the connection again (§18.2.2), and browsers never ask for rport (JsSIP's Via names
 * a `.invalid` host and no port).
 */
export function stampVia(
  request: SipRequest,
  source: { address: string; port: number; transport?: string },
): SipRequest {
  const via = topVia(request);
  if (via === undefined) return request;
  const params = new Map(via.params);
  if (source.transport !== undefined && source.transport !== "udp" && !params.has("rport")) params.set("rport", null);
  // RFC 3581 §4: with rport, received is added even when it equals the sent-by host.
  if (via.host !== source.address || params.has("rport")) params.set("received", source.address);
  if (params.has("rport")) params.set("rport", String(source.port));
  if (params.get("rport") === via.params.get("rport") && params.get("received") === via.params.get("received")) {
    return request;
  }
  const headers = new SipHeaders();
  let replaced = false;
  for (const [name, value] of request.headers) {
    if (name === "Via" && !replaced) {
      replaced = true;
      headers.append("Via", formatVia({ ...via, params }));
    } else headers.append(name, value);
  }
  return { ...request, headers };
}
