import { ulid } from "ulid";
import { describe, expect, it } from "vitest";
import { isUlid, ulidCuts, ulidOfValue, ulidValue } from "../../layers/core/util/ulid-range.js";

describe("ULID ranges (cutting a partition of ids for parallel reads)", () => {
  it("turns a ULID into its value and back, in the same order as the strings", () => {
    const ids = Array.from({ length: 200 }, () => ulid()).sort();
    expect(ids.map((id) => ulidOfValue(ulidValue(id)))).toEqual(ids);
    const values = ids.map(ulidValue);
    expect(values.every((value, i) => i === 0 || value >= (values[i - 1] as bigint))).toBe(true);
    expect(ulidOfValue(0n)).toBe("00000000000000000000000000");
    expect(ulidOfValue(2n ** 128n - 1n)).toBe("7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
  });

  it("cuts a range into parts of equal value, strictly inside it and ascending", () => {
    const [low, high] = ["01M8SB0000000000000000000A", "01M8SC0000000000000000000A"];
    const cuts = ulidCuts(low, high, 8);
    expect(cuts).toHaveLength(7);
    expect([...cuts].sort()).toEqual(cuts);
    expect(cuts.every((cut) => isUlid(cut) && cut > low && cut < high)).toBe(true);
    const widths = [low, ...cuts, high]
      .slice(1)
      .map((cut, i) => ulidValue(cut) - ulidValue([low, ...cuts][i] as string));
    expect(Math.max(...widths.map(Number)) - Math.min(...widths.map(Number))).toBeLessThanOrEqual(1);
  });

  it("does not cut what is not a range of ULIDs, or too narrow to cut", () => {
    expect(ulidCuts("c001", "c150", 4)).toEqual([]);
    expect(ulidCuts("01M8SB0000000000000000000A", "01M8SB0000000000000000000B", 4)).toEqual([]);
    expect(ulidCuts("01M8SB0000000000000000000A", "01M8SB0000000000000000000C", 4)).toEqual([
      "01M8SB0000000000000000000B",
    ]);
  });
});
