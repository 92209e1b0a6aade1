// Authentication headers (Authorization, Proxy-Authorization, WWW-Authenticate,
// Proxy-Authenticate): digest fields from RFC 3261 §22.4 and RFC 8760.

import { isToken, isWs, quote, readQuoted, skipWs, tokenEnd, trimWs } from "./chars.js";
import { parseFailure } from "./errors.js";

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
  const schemeEnd = tokenEnd(value, i);
  if (schemeEnd === i) parseFailure("Missing authentication scheme");
  const scheme = value.slice(i, schemeEnd);
  if (schemeEnd < len && !isWs(value.charCodeAt(schemeEnd))) parseFailure("Malformed authentication header");
  i = skipWs(value, schemeEnd);
  const params = new Map<string, string>();
  while (i < len) {
    if (value.charCodeAt(i) === 44) {
      i = skipWs(value, i + 1);
      continue;
    }
    const nameStart = i;
    i = tokenEnd(value, i);
    if (i === nameStart) parseFailure("Malformed authentication parameter");
    const name = value.slice(nameStart, i).toLowerCase();
    i = skipWs(value, i);
    if (value.charCodeAt(i) !== 61) parseFailure("Malformed authentication parameter");
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
      if (i === start) parseFailure("Empty authentication parameter");
      paramValue = value.slice(start, i);
    }
    if (params.has(name)) parseFailure("Duplicate authentication parameter");
    params.set(name, paramValue);
    i = skipWs(value, i);
    if (i < len && value.charCodeAt(i) !== 44) parseFailure("Malformed authentication header");
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
  if (value === undefined) parseFailure(`Missing ${name} in credentials`);
  return value;
}

/** The Digest credentials of an Authorization or Proxy-Authorization value; throws when incomplete. */
export function parseDigestCredentials(value: string): DigestCredentials {
  const { scheme, params } = parseAuthHeader(value);
  if (scheme.toLowerCase() !== "digest") parseFailure("Not Digest credentials");
  const username = requiredParam(params, "username");
  const realm = requiredParam(params, "realm");
  const nonce = requiredParam(params, "nonce");
  const uri = requiredParam(params, "uri");
  const response = requiredParam(params, "response");
  if (!isHex(response)) parseFailure("Invalid digest response");
  const qop = params.get("qop");
  const cnonce = params.get("cnonce");
  const nc = params.get("nc");
  if (qop !== undefined) {
    if (!isToken(qop)) parseFailure("Invalid qop");
    if (cnonce === undefined || cnonce === "") parseFailure("Missing cnonce in credentials");
    if (nc === undefined || nc.length !== 8 || !isHex(nc)) parseFailure("Invalid nc in credentials");
  }
  const algorithm = params.get("algorithm") ?? "MD5";
  if (!isToken(algorithm)) parseFailure("Invalid algorithm");
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
  if (scheme.toLowerCase() !== "digest") parseFailure("Not a Digest challenge");
  const realm = params.get("realm");
  const nonce = params.get("nonce");
  if (realm === undefined || nonce === undefined) parseFailure("Incomplete Digest challenge");
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
