import { describe, expect, it } from "vitest";
import {
  callerIp,
  ORIGIN_SECRET_HEADER,
  parseViewerAddress,
  VIEWER_ADDRESS_HEADER,
} from "../../../layers/core/http/caller-ip.js";
import type { RouteContract } from "../../../layers/core/http/contract.js";
import { requestContext } from "../../../layers/core/http/middleware/request-context.js";
import type { ApiContext } from "../../../layers/core/http/middleware/types.js";
import { RouteMatcher } from "../../../layers/core/http/route-match.js";
import { logger } from "../../../layers/core/logger.js";
import { chain, lambdaContext, OK, proxyEvent } from "../../support/lambda.js";
import { testRoutes } from "./routes.js";

const SECRET = "origin-secret-9f2c41d8e7";
const EDGE = "130.176.0.10";

describe("parseViewerAddress", () => {
  it.each([
    ["1.2.3.4:5678", "1.2.3.4"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["203.0.113.7", "203.0.113.7"],
    ["2001:db8::1", "2001:db8::1"],
    [" 198.51.100.4:80 ", "198.51.100.4"],
  ])("reads %s as %s", (value, ip) => {
    expect(parseViewerAddress(value)).toBe(ip);
  });

  it.each([
    "",
    "not-an-ip",
    "999.1.1.1:80",
    "1.2.3.4:",
    "[1.2.3.4]:80",
    "[2001:db8::1]",
    "[2001:db8::zz]:443",
    "1.2.3.4, 5.6.7.8",
  ])("finds no address in %j", (value) => {
    expect(parseViewerAddress(value)).toBeUndefined();
  });
});

describe("callerIp", () => {
  const viewer = (address: string, secret?: string) => ({
    [VIEWER_ADDRESS_HEADER]: address,
    ...(secret === undefined ? {} : { [ORIGIN_SECRET_HEADER]: secret }),
  });

  it("takes the viewer's address when the origin secret matches", () => {
    expect(callerIp(EDGE, viewer("203.0.113.9", SECRET), SECRET)).toBe("203.0.113.9");
    expect(callerIp(EDGE, viewer("[2001:db8::1]:443", SECRET), SECRET)).toBe("2001:db8::1");
  });

  it("ignores a viewer address sent without the secret, with a wrong one, or to a function given none", () => {
    expect(callerIp(EDGE, viewer("203.0.113.9"), SECRET)).toBe(EDGE);
    expect(callerIp(EDGE, viewer("203.0.113.9", "guess"), SECRET)).toBe(EDGE);
    expect(callerIp(EDGE, viewer("203.0.113.9", `${SECRET}x`), SECRET)).toBe(EDGE);
    expect(callerIp(EDGE, viewer("203.0.113.9", ""), SECRET)).toBe(EDGE);
    expect(callerIp(EDGE, viewer("203.0.113.9", SECRET), undefined)).toBe(EDGE);
  });

  it("keeps API Gateway's address when the secret matches but the viewer address is missing or invalid", () => {
    expect(callerIp(EDGE, { [ORIGIN_SECRET_HEADER]: SECRET }, SECRET)).toBe(EDGE);
    expect(callerIp(EDGE, viewer("localhost", SECRET), SECRET)).toBe(EDGE);
  });
});

describe("requestContext: the caller's IP", () => {
  const matcher = new RouteMatcher(Object.values(testRoutes) as RouteContract[]);
  const run = async (headers: Record<string, string>, secret: string | undefined) => {
    let seen: ApiContext["api"] | undefined;
    let reads = 0;
    const readSecret = async () => {
      reads++;
      return secret;
    };
    const handler = chain([requestContext(matcher, logger, readSecret)], async (_event, context) => {
      seen = context.api;
      return OK;
    });
    await handler(
      proxyEvent(testRoutes["test.public"], {
        headers,
        requestContext: { requestId: "req-1", authorizer: null, identity: { sourceIp: EDGE } } as never,
      }),
      lambdaContext() as ApiContext,
    );
    return { api: seen as ApiContext["api"], reads };
  };

  it("uses the viewer address behind CloudFront, and hides both headers from the handler", async () => {
    // Act
    const { api } = await run(
      { "X-Pbx-Origin-Secret": SECRET, "X-Pbx-Viewer-Address": "2001:db8::7", Accept: "application/json" },
      SECRET,
    );

    // Assess
    expect(api.sourceIp).toBe("2001:db8::7");
    expect(api.headers).toEqual({ accept: "application/json" });
  });

  it("keeps API Gateway's sourceIp for a direct call spoofing the viewer address, without reading the secret", async () => {
    // Act
    const direct = await run({ "X-Pbx-Viewer-Address": "203.0.113.9" }, SECRET);
    const guessed = await run({ "X-Pbx-Origin-Secret": "guess", "X-Pbx-Viewer-Address": "203.0.113.9" }, SECRET);

    // Assess
    expect(direct.api.sourceIp).toBe(EDGE);
    expect(direct.reads).toBe(0);
    expect(direct.api.headers).toEqual({});
    expect(guessed.api.sourceIp).toBe(EDGE);
    expect(guessed.api.headers).toEqual({});
  });

  it("trusts nothing in a function given no secret", async () => {
    const { api } = await run({ "X-Pbx-Origin-Secret": SECRET, "X-Pbx-Viewer-Address": "203.0.113.9" }, undefined);
    expect(api.sourceIp).toBe(EDGE);
  });
});
