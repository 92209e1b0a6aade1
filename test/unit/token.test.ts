import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { issueAccessToken, verifyAccessToken } from "../../layers/core/auth/token.js";

const KEY = randomBytes(32);
const CLAIMS = {
  sub: "01HZZZZZZZZZZZZZZZZZZZZZZZ",
  tid: "01HYYYYYYYYYYYYYYYYYYYYYYY",
  role: "admin",
  sid: "01HXXXXXXXXXXXXXXXXXXXXXXX",
  cv: 1,
};
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const TTL = 3600;

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

/** A token signed with the right key but built by hand, to test what the verifier accepts. */
function forge(header: unknown, payload: unknown, key = KEY): string {
  const data = `${b64url(header)}.${b64url(payload)}`;
  return `${data}.${createHmac("sha256", key).update(data).digest("base64url")}`;
}

describe("access tokens", () => {
  it("round-trips the claims, with iat and exp set from the clock and the ttl", () => {
    // Act
    const token = issueAccessToken(CLAIMS, KEY, TTL, NOW);
    const claims = verifyAccessToken(token, KEY, NOW + 1000);

    // Assert
    expect(token.split(".")).toHaveLength(3);
    expect(claims).toEqual({ ...CLAIMS, iat: NOW / 1000, exp: NOW / 1000 + TTL });
  });

  it("is a standard HS256 JWT", () => {
    // Act
    const [header, payload, signature] = issueAccessToken(CLAIMS, KEY, TTL, NOW).split(".") as [string, string, string];

    // Assert
    expect(decode(header)).toEqual({ alg: "HS256", typ: "JWT" });
    expect(decode(payload)).toMatchObject(CLAIMS);
    expect(signature).toBe(createHmac("sha256", KEY).update(`${header}.${payload}`).digest("base64url"));
  });

  it("refuses a token whose payload was changed", () => {
    // Arrange: promote the role, keep the original signature
    const [header, payload, signature] = issueAccessToken(CLAIMS, KEY, TTL, NOW).split(".") as [string, string, string];
    const promoted = b64url({ ...decode(payload), role: "super_admin" });

    // Act
    const claims = verifyAccessToken(`${header}.${promoted}.${signature}`, KEY, NOW);

    // Assert
    expect(claims).toBeUndefined();
  });

  it("refuses a token whose signature was changed", () => {
    // Arrange
    const token = issueAccessToken(CLAIMS, KEY, TTL, NOW);
    const last = token.at(-1) === "A" ? "B" : "A";
    const flipped = `${token.slice(0, -1)}${last}`;
    const truncated = token.slice(0, -2);

    // Act
    const results = [flipped, truncated, `${token}A`].map((t) => verifyAccessToken(t, KEY, NOW));

    // Assert
    expect(results).toEqual([undefined, undefined, undefined]);
  });

  it("refuses a token signed with another key", () => {
    // Arrange
    const token = issueAccessToken(CLAIMS, randomBytes(32), TTL, NOW);

    // Act
    const claims = verifyAccessToken(token, KEY, NOW);

    // Assert
    expect(claims).toBeUndefined();
  });

  it("is valid until exp and refused from exp on", () => {
    // Arrange
    const token = issueAccessToken(CLAIMS, KEY, TTL, NOW);
    const exp = NOW + TTL * 1000;

    // Act
    const justBefore = verifyAccessToken(token, KEY, exp - 1);
    const atExpiry = verifyAccessToken(token, KEY, exp);
    const later = verifyAccessToken(token, KEY, exp + 24 * 3600 * 1000);

    // Assert
    expect(justBefore).toBeDefined();
    expect(atExpiry).toBeUndefined();
    expect(later).toBeUndefined();
  });

  it('refuses the "none" algorithm and any header other than its own', () => {
    // Arrange
    const payload = { ...CLAIMS, iat: NOW / 1000, exp: NOW / 1000 + TTL };
    const unsigned = `${b64url({ alg: "none", typ: "JWT" })}.${b64url(payload)}.`;
    const noneWithSignature = forge({ alg: "none", typ: "JWT" }, payload);
    const otherAlg = forge({ alg: "HS512", typ: "JWT" }, payload);
    const reordered = forge({ typ: "JWT", alg: "HS256" }, payload);

    // Act
    const results = [unsigned, noneWithSignature, otherAlg, reordered].map((t) => verifyAccessToken(t, KEY, NOW));

    // Assert
    expect(results).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("refuses a well-signed token whose claims are missing or of the wrong type", () => {
    // Arrange
    const header = { alg: "HS256", typ: "JWT" };
    const base = { ...CLAIMS, iat: NOW / 1000, exp: NOW / 1000 + TTL };
    const noSub = forge(header, { ...base, sub: undefined });
    const stringExp = forge(header, { ...base, exp: String(base.exp) });
    const notAnObject = forge(header, "admin");
    const control = forge(header, base);

    // Act
    const results = [noSub, stringExp, notAnObject].map((t) => verifyAccessToken(t, KEY, NOW));
    const accepted = verifyAccessToken(control, KEY, NOW);

    // Assert
    expect(results).toEqual([undefined, undefined, undefined]);
    expect(accepted).toEqual(base);
  });

  it("refuses garbage without throwing", () => {
    // Arrange
    const header = b64url({ alg: "HS256", typ: "JWT" });
    const notJson = `${header}.${Buffer.from("{not json").toString("base64url")}`;
    const garbage = [
      "",
      ".",
      "..",
      "...",
      "a.b.c",
      "a.b.c.d",
      "not a token",
      `${header}..`,
      `${notJson}.${createHmac("sha256", KEY).update(notJson).digest("base64url")}`,
      `${issueAccessToken(CLAIMS, KEY, TTL, NOW)}.extra`,
      "\u0000\uFFFF",
    ];

    // Act
    const results = garbage.map((token) => verifyAccessToken(token, KEY, NOW));

    // Assert
    expect(results).toEqual(garbage.map(() => undefined));
  });
});
