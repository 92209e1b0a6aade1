import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ForbiddenError, ValidationError } from "../../../layers/core/errors.js";
import { encodeCaller } from "../../../layers/core/http/authorizer-context.js";
import type { RouteContract } from "../../../layers/core/http/contract.js";
import { accessLog } from "../../../layers/core/http/middleware/access-log.js";
import { authorization } from "../../../layers/core/http/middleware/authorization.js";
import { httpErrors } from "../../../layers/core/http/middleware/http-errors.js";
import { requestContext } from "../../../layers/core/http/middleware/request-context.js";
import type { ApiContext } from "../../../layers/core/http/middleware/types.js";
import { RouteMatcher } from "../../../layers/core/http/route-match.js";
import type { Caller, TenantCaller } from "../../../layers/core/services/caller.js";
import {
  apiContext,
  capturedLogger,
  chain,
  lambdaContext,
  OK,
  proxyEvent,
  tenantCaller,
} from "../../support/lambda.js";
import { testRoutes } from "./routes.js";

const matcher = new RouteMatcher(Object.values(testRoutes) as RouteContract[]);
const withCaller = (caller: Exclude<Caller, { kind: "public" }>) => ({
  requestId: "req-1",
  authorizer: encodeCaller(caller),
  identity: { sourceIp: "192.0.2.10" },
});

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

describe("requestContext", () => {
  it("finds the route API Gateway matched, reads the caller, lower-cases headers, and logs with the request's keys", async () => {
    // Arrange
    const captured = capturedLogger();
    restore = captured.restore;
    const caller = tenantCaller() as TenantCaller;
    let seen: ApiContext["api"] | undefined;
    const handler = chain([requestContext(matcher, captured.logger)], async (_event, context) => {
      seen = context.api;
      captured.logger.info("inside");
      return OK;
    });

    // Act
    await handler(
      proxyEvent(testRoutes["test.tenant"], {
        headers: { "If-None-Match": '"v1"' },
        requestContext: withCaller(caller) as never,
      }),
      lambdaContext() as ApiContext,
    );

    // Assess
    expect(seen?.route.id).toBe("test.tenant");
    expect(seen?.caller).toEqual(caller);
    expect(seen?.headers).toEqual({ "if-none-match": '"v1"' });
    expect(seen?.sourceIp).toBe("192.0.2.10");
    expect(captured.lines.find((line) => line.message === "inside")).toMatchObject({
      requestId: "req-1",
      route: "test.tenant",
      tenantId: caller.tenantId,
    });
  });

  it("answers 404 for a resource the function does not serve, with the request id already on the logs", async () => {
    // Arrange
    const captured = capturedLogger();
    restore = captured.restore;
    const handler = chain([httpErrors(captured.logger), requestContext(matcher, captured.logger)]);

    // Act
    const response = await handler(
      proxyEvent({ method: "GET", path: "/api/v1/extensions" }),
      lambdaContext() as ApiContext,
    );
    captured.logger.info("after");

    // Assess
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toMatchObject({ error: "not_found", message: "Route not found" });
    expect(captured.lines.find((line) => line.message === "after")).toMatchObject({ requestId: "req-1" });
  });

  it("has its keys cleared after each request by Powertools' injectLambdaContext, answered or failed", async () => {
    // Arrange
    const captured = capturedLogger();
    restore = captured.restore;
    const handler = chain(
      [
        injectLambdaContext(captured.logger, { resetKeys: true }),
        httpErrors(captured.logger),
        requestContext(matcher, captured.logger),
      ],
      async () => {
        throw new ValidationError([{ in: "body", field: "name", message: "is required" }]);
      },
    );
    const tenant = tenantCaller() as TenantCaller;

    // Act
    await handler(
      proxyEvent(testRoutes["test.tenant"], { requestContext: withCaller(tenant) as never }),
      lambdaContext() as ApiContext,
    );
    captured.logger.info("between requests");

    // Assess
    const between = captured.lines.find((line) => line.message === "between requests");
    expect(between).toBeDefined();
    expect(between).not.toHaveProperty("tenantId");
    expect(between).not.toHaveProperty("requestId");
    expect(between).not.toHaveProperty("route");
  });
});

describe("authorization", () => {
  const run = (route: RouteContract, caller: Caller) =>
    chain([authorization()])(proxyEvent(route), apiContext(route, { caller }));

  it("lets anyone call a public route", async () => {
    // Assess
    await expect(run(testRoutes["test.public"], { kind: "public" })).resolves.toBe(OK);
  });

  it("wants the platform credential on a platform route: 401 for a tenant's token", async () => {
    // Assess
    await expect(run(testRoutes["test.platform"], { kind: "platform" })).resolves.toBe(OK);
    await expect(run(testRoutes["test.platform"], tenantCaller())).rejects.toMatchObject({
      status: 401,
      message: "This route needs the platform admin credential",
    });
  });

  it("wants a tenant caller holding the route's permission: 401 without one, 403 naming the permission", async () => {
    // Assess
    const route = testRoutes["test.tenant"];
    await expect(run(route, { kind: "public" })).rejects.toMatchObject({ status: 401 });
    await expect(run(route, { kind: "platform" })).rejects.toMatchObject({ status: 401 });
    const refused = run(route, tenantCaller());
    await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
    await expect(refused).rejects.toMatchObject({ status: 403, details: { permission: "extensions.view" } });
    await expect(run(route, tenantCaller({ permissions: new Set(["extensions.view"]) }))).resolves.toBe(OK);
  });
});

describe("accessLog", () => {
  it("logs one request line with method, resource, status and duration", async () => {
    // Arrange
    const captured = capturedLogger();
    restore = captured.restore;
    const route = testRoutes["test.tenant"];

    // Act
    await chain([accessLog(captured.logger)], async () => ({ statusCode: 201, body: "" }))(
      proxyEvent(route),
      apiContext(route),
    );

    // Assess
    const lines = captured.lines.filter((line) => line.message === "request");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "INFO", method: "GET", path: route.path, status: 201 });
    expect(lines[0]?.durationMs).toEqual(expect.any(Number));
  });

  it("logs a failed request with the status the error mapper chose", async () => {
    // Arrange
    const captured = capturedLogger();
    restore = captured.restore;
    const route = testRoutes["test.tenant"];
    const handler = chain([accessLog(captured.logger), httpErrors(captured.logger)], async () => {
      throw new ForbiddenError("no");
    });

    // Act
    const response = await handler(proxyEvent(route), apiContext(route));

    // Assess
    expect(response.statusCode).toBe(403);
    expect(captured.lines.find((line) => line.message === "request")).toMatchObject({ status: 403 });
  });
});

describe("httpErrors", () => {
  it("answers a domain error with its status, code, details and headers, and the request id", async () => {
    // Arrange
    const captured = capturedLogger();
    restore = captured.restore;
    const route = testRoutes["test.public"];
    const error = new ValidationError([{ in: "body", field: "name", message: "is required" }]);
    error.headers["retry-after"] = "5";

    // Act
    const response = await chain([httpErrors(captured.logger)], async () => {
      throw error;
    })(proxyEvent(route), apiContext(route));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers).toMatchObject({ "x-request-id": "req-1", "retry-after": "5" });
    expect(JSON.parse(response.body)).toEqual({
      error: "validation_failed",
      message: "Invalid input: name",
      fields: [{ in: "body", field: "name", message: "is required" }],
    });
  });

  it("answers anything else with a 500 that says nothing internal, and logs the error", async () => {
    // Arrange
    const captured = capturedLogger();
    restore = captured.restore;
    const route = testRoutes["test.public"];

    // Act
    const response = await chain([httpErrors(captured.logger)], async () => {
      throw new Error("connect ECONNREFUSED 10.0.0.7:8000 (table pbx-secret-name)");
    })(proxyEvent(route), apiContext(route));

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain("ECONNREFUSED");
    expect(JSON.parse(response.body)).toEqual({
      error: "internal",
      message: "Something went wrong on our side",
      requestId: "req-1",
    });
    expect(captured.lines.find((line) => line.level === "ERROR")).toMatchObject({ message: "Request failed" });
  });
});

describe("the assembled chain (createGroupHandler)", () => {
  it("clears the request and tenant keys after each request, so the next caller's lines do not carry them", async () => {
    // Arrange: the chain with its own logger, built fresh at DEBUG (the level a function's logger
    // starts at is the one every later request returns to: Powertools refreshes it per request).
    const captured = capturedLogger();
    const level = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "DEBUG";
    vi.resetModules();
    const { createGroupHandler } = await import("../../../layers/core/http/handler.js");
    restore = () => {
      process.env.LOG_LEVEL = level;
      captured.restore();
    };
    const handler = createGroupHandler(testRoutes, {
      "test.public": async () => ({ ok: true }),
      "test.platform": async () => undefined,
      "test.tenant": async () => ({ ok: true }),
      "test.noBody": async () => undefined,
      "test.file": async () => ({ ok: true }),
    });
    const tenant = tenantCaller({ permissions: new Set(["extensions.view"]) }) as TenantCaller;

    // Act
    const first = await handler(
      proxyEvent(testRoutes["test.tenant"], {
        pathParameters: { itemId: "i1" },
        requestContext: withCaller(tenant) as never,
      }),
      lambdaContext(),
    );
    const second = await handler(
      proxyEvent(testRoutes["test.platform"], {
        requestContext: { ...withCaller({ kind: "platform" }), requestId: "req-2" } as never,
      }),
      lambdaContext(),
    );

    // Assess
    expect([first.statusCode, second.statusCode], JSON.stringify([first, second])).toEqual([200, 204]);
    const requests = captured.lines.filter((line) => line.message === "request");
    expect(requests, JSON.stringify(captured.lines)).toHaveLength(2);
    expect(requests[0]).toMatchObject({ requestId: "req-1", route: "test.tenant", tenantId: tenant.tenantId });
    expect(requests[1]).toMatchObject({ requestId: "req-2", route: "test.platform", status: 204 });
    expect(requests[1]).not.toHaveProperty("tenantId");
  });
});
