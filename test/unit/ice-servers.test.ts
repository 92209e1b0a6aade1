import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../layers/core/config.js";
import { icePolicyOf, iceServersFor, iceUrls } from "../../layers/core/sip/ice-servers.js";

describe("ICE servers in the login answer (STUN, coturn time-limited TURN credentials)", () => {
  const now = Date.UTC(2026, 11, 1, 12, 0, 0);

  it("mints a TURN username that expires and the HMAC-SHA1 password coturn's use-auth-secret checks", () => {
    // Act
    const servers = iceServersFor(
      {
        stunUrls: ["stun:stun.example.com:3478"],
        turnUrls: ["turn:turn.example.com:3478"],
        turnSecret: "s3cret",
        turnTtlSeconds: 600,
      },
      "tenant:session",
      now,
    );
    // Assess
    expect(servers[0]).toEqual({ urls: ["stun:stun.example.com:3478"] });
    const turn = servers[1];
    expect(turn?.username).toBe(`${now / 1000 + 600}:tenant:session`);
    expect(turn?.credential).toBe(
      createHmac("sha1", "s3cret")
        .update(turn?.username ?? "")
        .digest("base64"),
    );
  });

  it("offers no TURN without its secret and keeps only stun:/turn: URLs of the right kind", () => {
    // Act
    const servers = iceServersFor(
      { stunUrls: [], turnUrls: ["turn:turn.example.com"], turnSecret: undefined, turnTtlSeconds: 600 },
      "u",
      now,
    );
    // Assess
    expect(servers).toEqual([]);
    expect(iceUrls(" stun:a:3478, http://x, turn:b ,stuns:c", ["stun", "stuns"])).toEqual(["stun:a:3478", "stuns:c"]);
  });

  it("forces relay-only ICE only when asked for and a TURN server can be offered", () => {
    const turn = { stunUrls: [], turnUrls: ["turn:127.0.0.1:3478"], turnSecret: "s3cret", turnTtlSeconds: 600 };
    expect(icePolicyOf("relay", turn)).toBe("relay");
    expect(icePolicyOf(undefined, turn)).toBe("all");
    expect(icePolicyOf("all", turn)).toBe("all");
    expect(icePolicyOf("relay", { ...turn, turnSecret: undefined }), "no TURN credentials").toBe("all");
    expect(icePolicyOf("relay", { ...turn, turnUrls: [] }), "no TURN server").toBe("all");
    const env = { TURN_URLS: "turn:127.0.0.1:3478", TURN_SECRET: "s3cret", ICE_TRANSPORT_POLICY: "relay" };
    expect(readConfig(env).ice.transportPolicy).toBe("relay");
    expect(readConfig({ ...env, TURN_SECRET: "" }).ice.transportPolicy).toBe("all");
  });
});
