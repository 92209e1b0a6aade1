import { createHmac } from "node:crypto";

/**
 * STUN and TURN servers handed to browsers with the login answer (`sip.iceServers`). TURN uses
 * coturn's time-limited credentials (the "TURN REST API" of draft-uberti-behave-turn-rest, coturn
 * `use-auth-secret` + `static-auth-secret`): the username is `<expiry epoch seconds>:<user>`, the
 * password base64(HMAC-SHA1(secret, username)), so nothing is stored and a leaked pair dies at
 * its expiry. The listener never sees them: TURN is between the browser and coturn.
 */
export interface IceConfig {
  stunUrls: string[];
  turnUrls: string[];
  /** coturn's static-auth-secret; without it no TURN server is offered. */
  turnSecret: string | undefined;
  turnTtlSeconds: number;
  /**
   * `relay` (ICE_TRANSPORT_POLICY=relay) makes browsers use TURN relay candidates only
   * (RTCConfiguration.iceTransportPolicy): their own addresses are never handed to the other
   * side, and a network that only lets the TURN server through still works. Honoured only when a
   * TURN server is configured (without one, relay-only would leave no candidate at all).
   */
  transportPolicy: IceTransportPolicy;
}

export type IceTransportPolicy = "all" | "relay";

/** The policy the browsers get: `relay` only when asked for and a TURN server can be offered. */
export function icePolicyOf(value: string | undefined, ice: Omit<IceConfig, "transportPolicy">): IceTransportPolicy {
  return value?.trim() === "relay" && ice.turnUrls.length > 0 && ice.turnSecret ? "relay" : "all";
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export function iceServersFor(config: Omit<IceConfig, "transportPolicy">, user: string, nowMs: number): IceServer[] {
  const servers: IceServer[] = [];
  if (config.stunUrls.length > 0) servers.push({ urls: config.stunUrls });
  if (config.turnUrls.length > 0 && config.turnSecret) {
    const username = `${Math.floor(nowMs / 1000) + config.turnTtlSeconds}:${user}`;
    const credential = createHmac("sha1", config.turnSecret).update(username).digest("base64");
    servers.push({ urls: config.turnUrls, username, credential });
  }
  return servers;
}

/** A comma-separated list of stun:/turn:/turns: URLs (others are ignored, with the reason logged by the caller). */
export function iceUrls(value: string | undefined, schemes: readonly string[]): string[] {
  return (value ?? "")
    .split(",")
    .map((url) => url.trim())
    .filter((url) => schemes.some((scheme) => url.startsWith(`${scheme}:`)));
}
