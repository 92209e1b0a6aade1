// Header fields of a message: canonical names, compact forms, list headers (RFC 3261 §7.3).

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

export function lookupHeader(name: string): HeaderInfo | undefined {
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
