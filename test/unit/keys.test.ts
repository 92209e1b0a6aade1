import { describe, expect, it } from "vitest";
import { deriveKeys } from "../../layers/core/auth/keys.js";
import { seal, unseal } from "../../layers/core/auth/sealed.js";

describe("deriveKeys", () => {
  it("derives separate 32-byte keys for tokens and for data", () => {
    // Act
    const keys = deriveKeys("master-secret-one");

    // Assert
    expect(keys.tokenKey).toHaveLength(32);
    expect(keys.dataKey).toHaveLength(32);
    expect(keys.tokenKey.equals(keys.dataKey)).toBe(false);
  });

  it("is deterministic for one master secret, so keys survive a restart", () => {
    // Act
    const first = deriveKeys("master-secret-one");
    const second = deriveKeys("master-secret-one");

    // Assert
    expect(first.tokenKey.equals(second.tokenKey)).toBe(true);
    expect(first.dataKey.equals(second.dataKey)).toBe(true);
  });

  it("derives unrelated keys from another master secret", () => {
    // Arrange
    const first = deriveKeys("master-secret-one");
    const other = deriveKeys("master-secret-two");
    const sealed = seal("S1pPassword", first.dataKey, "ctx");

    // Act
    const openWithOther = () => unseal(sealed, other.dataKey, "ctx");

    // Assert
    expect(first.tokenKey.equals(other.tokenKey)).toBe(false);
    expect(first.dataKey.equals(other.dataKey)).toBe(false);
    expect(openWithOther).toThrow();
  });
});
