import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../layers/core/util/bounded-map.js";
import { singleFlight } from "../../layers/core/util/single-flight.js";
import { hashToken, matchesTokenHash } from "../../layers/core/util/token-hash.js";

describe("BoundedMap", () => {
  it("drops the least recently written entry past its size", () => {
    // Arrange
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1).set("b", 2);

    // Act: rewriting "a" makes "b" the oldest
    map.set("a", 3);
    map.get("b");
    map.set("c", 4);

    // Assess
    expect([...map.entries()]).toEqual([
      ["a", 3],
      ["c", 4],
    ]);
  });

  it("refuses a size below one", () => {
    expect(() => new BoundedMap(0)).toThrow(RangeError);
  });
});

describe("singleFlight", () => {
  it("runs one load for concurrent callers of a key, and loads again once it settled", async () => {
    // Arrange
    const flight = singleFlight<string, number>();
    let loads = 0;
    let release: (value: number) => void = () => {};
    const load = () => {
      loads++;
      return new Promise<number>((resolve) => {
        release = resolve;
      });
    };

    // Act
    const first = flight("k", load);
    const second = flight("k", load);
    const other = flight("other", () => Promise.resolve(7));
    release(5);

    // Assess
    expect(await Promise.all([first, second, other])).toEqual([5, 5, 7]);
    expect(loads).toBe(1);
    expect(await flight("k", () => Promise.resolve(6))).toBe(6); // settled: a new load, not 5 again
  });

  it("passes a failed load to every waiting caller, and does not keep the failure", async () => {
    // Arrange
    const flight = singleFlight<string, number>();
    const failing = () => Promise.reject(new Error("down"));

    // Act
    const results = await Promise.allSettled([flight("k", failing), flight("k", failing)]);

    // Assess
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    await expect(flight("k", () => Promise.resolve(1))).resolves.toBe(1);
  });
});

describe("token hash", () => {
  it("matches the secret it was made from and nothing else, in both stored encodings", () => {
    // Arrange
    const stored = hashToken("secret-1");
    const storedBase64 = hashToken("secret-1", "base64");

    // Assess
    expect(matchesTokenHash(stored, "secret-1")).toBe(true);
    expect(matchesTokenHash(stored, "secret-2")).toBe(false);
    expect(matchesTokenHash(storedBase64, "secret-1", "base64")).toBe(true);
    expect(matchesTokenHash(undefined, "secret-1")).toBe(false);
    expect(matchesTokenHash(stored, undefined)).toBe(false);
    expect(matchesTokenHash("short", "secret-1")).toBe(false);
  });
});
