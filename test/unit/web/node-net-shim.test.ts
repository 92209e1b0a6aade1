import { isIP } from "node:net";
import { describe, expect, it } from "vitest";
import { isIP as browserIsIP } from "../../../web/src/shims/node-net.js";

/** The browser's stand-in for node:net must judge addresses exactly as Node does (the blocked-IP schema uses it). */
describe("web/src/shims/node-net isIP", () => {
  const samples = [
    "127.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "256.1.1.1",
    "1.2.3",
    "01.2.3.4",
    "1.2.3.4.5",
    "::",
    "::1",
    "1::",
    "fe80::1%eth0",
    "fe80::1%",
    "2001:db8::8a2e:370:7334",
    "2001:0db8:0000:0000:0000:ff00:0042:8329",
    "2001:db8:0:0:0:0:0:0:1",
    "2001:db8::1::2",
    "::ffff:192.0.2.1",
    "::ffff:192.0.2.256",
    "1:2:3:4:5:6:1.2.3.4",
    "1:2:3:4:5:6:7:1.2.3.4",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:",
    "12345::1",
    "g::1",
    "",
    "localhost",
  ];

  it.each(samples)("%s", (sample) => {
    expect(browserIsIP(sample)).toBe(isIP(sample));
  });
});
