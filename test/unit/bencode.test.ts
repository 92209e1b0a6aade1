import { describe, expect, it } from "vitest";
import { bdecode, bencode } from "../../listener/media/bencode.js";

describe("bencode (rtpengine's ng protocol)", () => {
  it("round-trips dictionaries with sorted keys, lists, integers and UTF-8 strings", () => {
    // Prepare
    const value = { sdp: "v=0\r\nö", command: "offer", flags: ["trust-address"], n: -3 };
    // Act
    const wire = bencode(value);
    // Assess
    expect(wire.toString("utf8")).toBe("d7:command5:offer5:flagsl13:trust-addresse1:ni-3e3:sdp7:v=0\r\nöe");
    expect(bdecode(wire)).toEqual(value);
  });

  it("refuses malformed and trailing input instead of guessing", () => {
    for (const bad of ["d3:abc", "i12", "5:abc", "li1e", "d1:ai1ee0:", "x", "di1ei2ee"]) {
      expect(() => bdecode(Buffer.from(bad)), bad).toThrow(SyntaxError);
    }
  });
});
