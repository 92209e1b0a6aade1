import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { seal, unseal } from "../../layers/core/auth/sealed.js";
import { registrationSecretContext } from "../../layers/core/entities/extension.js";

const KEY = randomBytes(32);
const TENANT_A = "01J0000000000000000000000A";
const TENANT_B = "01J0000000000000000000000B";
const EXT_1 = "01J0000000000000000000EXT1";
const EXT_2 = "01J0000000000000000000EXT2";
const CONTEXT = registrationSecretContext(TENANT_A, EXT_1);

/** Replaces one base64 part of a sealed value with the same bytes, one bit flipped. */
function flipBit(sealed: string, part: 1 | 2 | 3): string {
  const parts = sealed.split(".");
  const bytes = Buffer.from(parts[part] as string, "base64");
  bytes[0] = (bytes[0] as number) ^ 0x01;
  parts[part] = bytes.toString("base64");
  return parts.join(".");
}

describe("sealed secrets", () => {
  it("opens with the same key and context", () => {
    // Arrange
    const secret = "S1p-Passw0rd!#%*+-=?@^_ünïcødé";

    // Act
    const sealed = seal(secret, KEY, CONTEXT);
    const opened = unseal(sealed, KEY, CONTEXT);

    // Assert
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain("Passw0rd");
    expect(opened).toBe(secret);
  });

  it("seals the same plaintext differently every time (fresh IV)", () => {
    // Act
    const first = seal("S1pPassword", KEY, CONTEXT);
    const second = seal("S1pPassword", KEY, CONTEXT);

    // Assert
    expect(first).not.toBe(second);
    expect(first.split(".")[1]).not.toBe(second.split(".")[1]);
    expect(unseal(first, KEY, CONTEXT)).toBe(unseal(second, KEY, CONTEXT));
  });

  it("does not open when copied onto another tenant's or another extension's record", () => {
    // Arrange
    const sealed = seal("S1pPassword", KEY, CONTEXT);

    // Act
    const otherTenant = () => unseal(sealed, KEY, registrationSecretContext(TENANT_B, EXT_1));
    const otherExtension = () => unseal(sealed, KEY, registrationSecretContext(TENANT_A, EXT_2));

    // Assert
    expect(otherTenant).toThrow();
    expect(otherExtension).toThrow();
  });

  it("does not open with another key", () => {
    // Arrange
    const sealed = seal("S1pPassword", KEY, CONTEXT);

    // Act
    const open = () => unseal(sealed, randomBytes(32), CONTEXT);

    // Assert
    expect(open).toThrow();
  });

  it("detects tampering with the IV, the ciphertext or the tag", () => {
    // Arrange
    const sealed = seal("S1pPassword", KEY, CONTEXT);

    // Act
    const tampered = ([1, 2, 3] as const).map((part) => () => unseal(flipBit(sealed, part), KEY, CONTEXT));

    // Assert
    for (const open of tampered) expect(open).toThrow();
    expect(unseal(sealed, KEY, CONTEXT)).toBe("S1pPassword");
  });

  it("refuses values that are not in the sealed format", () => {
    // Arrange
    const sealed = seal("S1pPassword", KEY, CONTEXT);
    const malformed = ["", "S1pPassword", sealed.replace(/^v1/, "v2"), sealed.split(".").slice(0, 3).join(".")];

    // Act
    const opens = malformed.map((value) => () => unseal(value, KEY, CONTEXT));

    // Assert
    for (const open of opens) expect(open).toThrow();
  });
});
