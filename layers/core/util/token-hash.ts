import { createHash, timingSafeEqual } from "node:crypto";

/**
 * The one hasher of bearer secrets the API hands out (refresh tokens, quick login links,
 * phonebook tokens). They are 192-256 random bits, so SHA-256 is enough: a slow password hash
 * would add time and nothing else. Only the hash is stored.
 */
export type TokenHashEncoding = "base64url" | "base64";

export function hashToken(secret: string, encoding: TokenHashEncoding = "base64url"): string {
  return createHash("sha256").update(secret).digest(encoding);
}

/** Whether `secret` hashes to `stored`, compared in constant time. */
export function matchesTokenHash(
  stored: string | undefined,
  secret: string | undefined,
  encoding: TokenHashEncoding = "base64url",
): boolean {
  if (stored === undefined || secret === undefined) return false;
  const expected = Buffer.from(stored, encoding);
  const given = createHash("sha256").update(secret).digest();
  return expected.length === given.length && timingSafeEqual(expected, given);
}
