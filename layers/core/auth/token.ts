import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Access tokens: compact JWTs (HS256) signed with a key derived from the master secret.
 * Only this service issues and checks them, so a shared HMAC key is enough; there is no
 * third party to hand a public key to.
 */
export interface AccessClaims {
  /** Extension id. */
  sub: string;
  /** Tenant id. */
  tid: string;
  role: string;
  /** Session id: logout or a reused refresh token ends the session, and with it this token. */
  sid: string;
  /** The extension's credential version at issue: a password change retires older tokens. */
  cv: number;
  iat: number;
  exp: number;
}

const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString("base64url");
}

function sign(data: string, key: Buffer): string {
  return createHmac("sha256", key).update(data).digest("base64url");
}

export function issueAccessToken(
  claims: Omit<AccessClaims, "iat" | "exp">,
  key: Buffer,
  ttlSeconds: number,
  now = Date.now(),
): string {
  const iat = Math.floor(now / 1000);
  const payload = base64url(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds }));
  return `${HEADER}.${payload}.${sign(`${HEADER}.${payload}`, key)}`;
}

/** Returns the claims of a well-signed, unexpired token, or undefined for anything else. */
export function verifyAccessToken(token: string, key: Buffer, now = Date.now()): AccessClaims | undefined {
  const [header, payload, signature, ...rest] = token.split(".");
  if (header !== HEADER || !payload || !signature || rest.length > 0) return undefined;
  const expected = Buffer.from(sign(`${header}.${payload}`, key));
  const actual = Buffer.from(signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (!isClaims(claims) || claims.exp * 1000 <= now) return undefined;
  return claims;
}

function isClaims(value: unknown): value is AccessClaims {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.sub === "string" &&
    typeof c.tid === "string" &&
    typeof c.role === "string" &&
    typeof c.sid === "string" &&
    typeof c.cv === "number" &&
    typeof c.iat === "number" &&
    typeof c.exp === "number"
  );
}
