import { describe, expect, it } from "vitest";
import { compareUtf8, SortedTokens } from "../../layers/core/contacts/sorted-tokens.js";
import { prng } from "../support/prng.js";

const SEP = "\u0001";
const ALPHABET = ["a", "b", "z", "é", "ö", "中", "\uE000", "\uFFFD", "😀", "𝔸", " ", "#", "1", "9"];

function randomTokens(count: number, seed: number): string[] {
  const random = prng(seed);
  const pick = () => ALPHABET[Math.floor(random() * ALPHABET.length)] as string;
  return Array.from({ length: count }, (_, i) => {
    const kind = "sndcrk"[Math.floor(random() * 6)];
    const value = Array.from({ length: 1 + Math.floor(random() * 5) }, pick).join("");
    return `${kind}#${value}${SEP}${i.toString(36)}`;
  });
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe("SortedTokens (the directory's index in memory)", () => {
  it("orders as UTF-8 bytes, as DynamoDB orders sort keys, astral characters included", () => {
    const tokens = randomTokens(3_000, 7);
    expect([...tokens].sort(compareUtf8)).toEqual([...tokens].sort(byBytes));
    expect(compareUtf8("😀", "\uE000")).toBeGreaterThan(0);
    expect("😀" < "\uE000").toBe(true); // what a plain string sort would get wrong
  });

  it("returns a prefix's tokens in order, page by page after a cursor, like a key-range Query", () => {
    // Arrange
    const tokens = randomTokens(5_000, 11);
    const index = SortedTokens.from(tokens);
    const sorted = [...new Set(tokens)].sort(byBytes);
    for (const prefix of ["n#", "n#a", "d#1", "s#é", "k#😀", "r#zz", "c#"]) {
      const expected = sorted.filter((t) => t.startsWith(prefix));

      // Act: walk it in pages of 7.
      const walked: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = index.range(prefix, { after, limit: 7 });
        walked.push(...page);
        if (page.length < 7) break;
        after = page.at(-1);
      }

      // Assess
      expect(walked, prefix).toEqual(expected);
    }
  });

  it("adds and removes single tokens in place, keeping the order and each token once", () => {
    const tokens = randomTokens(2_000, 3);
    const index = SortedTokens.from(tokens.slice(0, 1_000));
    for (const token of tokens.slice(1_000)) index.add(token);
    index.add(tokens[0] as string);
    for (const token of tokens.slice(0, 500)) index.remove(token);
    const expected = [...new Set(tokens.slice(500))].sort(byBytes);
    expect(index.size).toBe(expected.length);
    expect(index.range("", { limit: 10_000 })).toEqual(expected);
    const held = (token: string) => index.range(token, { limit: 1 })[0] === token;
    expect(held(tokens[0] as string)).toBe(false);
    expect(held(tokens[1_999] as string)).toBe(true);
  });

  it("keeps byte order when the first token with an astral character arrives after the build", () => {
    const index = SortedTokens.from(["n#a\u0001x", "n#\uE000\u0001y", "n#z\u0001z"]);
    index.add("n#😀\u0001w");
    expect(index.range("n#", { limit: 10 })).toEqual(["n#a\u0001x", "n#z\u0001z", "n#\uE000\u0001y", "n#😀\u0001w"]);
  });

  it("replaces many tokens in one merge, as a feed's tail does, with the same result as one at a time", () => {
    // Arrange: a build, then a batch of removals (some absent) and additions (some present already).
    const tokens = randomTokens(6_000, 5);
    const merged = SortedTokens.from(tokens.slice(0, 4_000));
    const single = SortedTokens.from(tokens.slice(0, 4_000));
    const removed = new Set([...tokens.slice(0, 1_500), "n#absent\u0001q"]);
    const added = [...tokens.slice(3_000), "k#😀\u0001new"];

    // Act
    merged.replace(removed, added);
    for (const token of removed) single.remove(token);
    for (const token of added) single.add(token);

    // Assess
    const expected = [...new Set([...tokens.slice(1_500, 4_000), ...added])].sort(byBytes);
    expect(merged.range("", { limit: 10_000 })).toEqual(expected);
    expect(single.range("", { limit: 10_000 })).toEqual(expected);
  });
});
