// The Via header (RFC 3261 §20.42, RFC 3581's rport).

import { formatParams, isDigit, isToken, isWs, parseDigits, parseParams, skipWs, tokenEnd } from "./chars.js";
import { parseFailure } from "./errors.js";
import { isValidHost } from "./uri.js";

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

function expectSlash(s: string, i: number): number {
  i = skipWs(s, i);
  if (s.charCodeAt(i) !== 47) parseFailure("Malformed Via protocol");
  return skipWs(s, i + 1);
}

/** One via-parm: `SIP / 2.0 / UDP host[:port] *(;param)`, whitespace allowed around `/`, `:` and `;`. */
export function parseVia(value: string): Via {
  const len = value.length;
  let i = skipWs(value, 0);
  let end = tokenEnd(value, i);
  if (value.slice(i, end).toUpperCase() !== "SIP") parseFailure("Via protocol is not SIP");
  i = expectSlash(value, end);
  end = tokenEnd(value, i);
  if (value.slice(i, end) !== "2.0") parseFailure("Via version is not 2.0");
  i = expectSlash(value, end);
  end = tokenEnd(value, i);
  if (end === i) parseFailure("Missing Via transport");
  const transport = value.slice(i, end).toUpperCase();
  i = end;
  if (!isWs(value.charCodeAt(i))) parseFailure("Missing Via sent-by");
  i = skipWs(value, i);

  let host: string;
  if (value.charCodeAt(i) === 91) {
    const close = value.indexOf("]", i);
    if (close < 0) parseFailure("Invalid Via host");
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
  if (!isValidHost(host)) parseFailure("Invalid Via host");

  let port: number | undefined;
  const afterHost = skipWs(value, i);
  if (value.charCodeAt(afterHost) === 58) {
    i = skipWs(value, afterHost + 1);
    const start = i;
    while (i < len && isDigit(value.charCodeAt(i))) i++;
    port = parseDigits(value.slice(start, i), 5);
    if (port === undefined || port > 65535) parseFailure("Invalid Via port");
  }

  const params = parseParams(value, i);
  const ttl = params.get("ttl");
  if (ttl !== undefined) {
    const n = ttl === null ? undefined : parseDigits(ttl, 3);
    if (n === undefined || n > 255) parseFailure("Invalid Via ttl");
  }
  const rport = params.get("rport");
  if (rport !== undefined && rport !== null) {
    const n = parseDigits(rport, 5);
    if (n === undefined || n > 65535) parseFailure("Invalid Via rport");
  }
  for (const name of ["received", "maddr"]) {
    const v = params.get(name);
    if (v !== undefined && (v === null || !isValidHost(v.indexOf(":") >= 0 && v.charCodeAt(0) !== 91 ? `[${v}]` : v))) {
      parseFailure(`Invalid Via ${name}`);
    }
  }
  const branch = params.get("branch");
  if (branch !== undefined && (branch === null || !isToken(branch))) parseFailure("Invalid Via branch");
  return { transport, host, port, params };
}

export function formatVia(via: Via): string {
  if (!isToken(via.transport)) throw new TypeError(`Invalid transport: ${via.transport}`);
  if (!isValidHost(via.host)) throw new TypeError(`Invalid host: ${via.host}`);
  const port = via.port === undefined ? "" : `:${via.port}`;
  return `SIP/2.0/${via.transport} ${via.host}${port}${formatParams(via.params)}`;
}
