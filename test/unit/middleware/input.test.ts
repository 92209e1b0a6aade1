import { describe, expect, it, vi } from "vitest";
import type { Deps } from "../../../layers/core/deps.js";
import { ForbiddenError } from "../../../layers/core/errors.js";
import type { RouteContract } from "../../../layers/core/http/contract.js";
import { inputValidation } from "../../../layers/core/http/middleware/input-validation.js";
import { linkusCheck } from "../../../layers/core/http/middleware/linkus-check.js";
import { requestBody } from "../../../layers/core/http/middleware/request-body.js";
import type { ApiContext } from "../../../layers/core/http/middleware/types.js";
import { apiContext, chain, OK, proxyEvent, tenantCaller } from "../../support/lambda.js";
import { testRoutes } from "./routes.js";

/** Runs one middleware on a request to a route and hands back the state it leaves. */
async function stateAfter(
  middleware: ReturnType<typeof requestBody>,
  route: RouteContract,
  event: Parameters<typeof proxyEvent>[1],
  state: Partial<ApiContext["api"]> = {},
) {
  // As requestContext leaves them: header names lower-cased.
  const headers = Object.fromEntries(Object.entries(event?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const context = apiContext(route, { headers, ...state });
  await chain([middleware])(proxyEvent(route, event), context);
  return context.api;
}

describe("requestBody", () => {
  const json = { "content-type": "application/json" };

  it("parses a JSON body", async () => {
    // Act
    const api = await stateAfter(requestBody(), testRoutes["test.public"], { headers: json, body: '{"name":"Ada"}' });

    // Assess
    expect(api.body).toEqual({ name: "Ada" });
  });

  it("refuses JSON that does not parse (400), a body over 1 MiB (413) and a body not declared JSON (415)", async () => {
    // Arrange
    const route = testRoutes["test.public"];

    // Assess
    await expect(stateAfter(requestBody(), route, { headers: json, body: "{name:" })).rejects.toMatchObject({
      status: 400,
      details: { fields: [{ in: "body", field: "body", message: "is not valid JSON" }] },
    });
    await expect(
      stateAfter(requestBody(), route, { headers: json, body: JSON.stringify({ name: "x".repeat(1024 * 1024) }) }),
    ).rejects.toMatchObject({ status: 413, details: { field: "body", limit: 1024 * 1024 } });
    await expect(
      stateAfter(requestBody(), route, { headers: { "content-type": "text/plain" }, body: '{"name":"Ada"}' }),
    ).rejects.toMatchObject({ status: 415, message: "Content-Type must be application/json, not text/plain" });
  });

  it("insists on application/json even for an empty body on a public route, not on a tenant route", async () => {
    // Assess
    await expect(stateAfter(requestBody(), testRoutes["test.public"], {})).rejects.toMatchObject({ status: 415 });
    const tenant = await stateAfter(requestBody(), testRoutes["test.file"], {});
    expect(tenant.body).toEqual({});
  });

  it("never reads the body of a route that declares none", async () => {
    // Act
    const api = await stateAfter(requestBody(), testRoutes["test.noBody"], {
      headers: { "content-type": "text/plain" },
      body: "not json",
    });

    // Assess
    expect(api.body).toBeUndefined();
  });

  it("turns a raw file into the route's body, within the route's own limit", async () => {
    // Arrange
    const route = testRoutes["test.file"];
    const csv = { "content-type": "text/csv" };

    // Act
    const api = await stateAfter(requestBody(), route, {
      headers: csv,
      body: Buffer.from("a\nb\n").toString("base64"),
      isBase64Encoded: true,
    });

    // Assess
    expect(api.body).toEqual({ rows: ["a", "b"] });
    await expect(stateAfter(requestBody(), route, { headers: csv, body: "x".repeat(65) })).rejects.toMatchObject({
      status: 413,
      details: { limit: 64 },
    });
    await expect(
      stateAfter(requestBody(), route, { headers: { "content-type": "text/vcard" }, body: "BEGIN:VCARD" }),
    ).rejects.toMatchObject({
      status: 415,
      details: { accepted: ["application/json", "multipart/form-data", "text/csv"] },
    });
  });
});

describe("inputValidation", () => {
  const route = testRoutes["test.tenant"];

  it("hands the implementation path, query and body as the schemas output them, defaults applied", async () => {
    // Act
    const tenant = await stateAfter(inputValidation(), route, {
      pathParameters: { itemId: "i1" },
      queryStringParameters: { limit: "5" },
    });
    const defaults = await stateAfter(inputValidation(), route, { pathParameters: { itemId: "i1" } });
    const withBody = await stateAfter(inputValidation(), testRoutes["test.public"], {}, { body: { name: "Ada" } });

    // Assess
    expect(tenant.input).toEqual({ params: { itemId: "i1" }, query: { limit: 5 }, body: undefined });
    expect(defaults.input.query).toEqual({ limit: 10 });
    expect(withBody.input).toEqual({ params: {}, query: {}, body: { name: "Ada", count: 1 } });
  });

  it("names every bad field, where it was, in one 400", async () => {
    // Assess
    await expect(
      stateAfter(inputValidation(), route, {
        pathParameters: { itemId: "i" },
        queryStringParameters: { limit: "x", extra: "1" },
      }),
    ).rejects.toMatchObject({
      status: 400,
      details: {
        fields: [{ in: "path", field: "itemId" }],
      },
    });
    await expect(
      stateAfter(inputValidation(), route, {
        pathParameters: { itemId: "i1" },
        queryStringParameters: { limit: "x", extra: "1" },
      }),
    ).rejects.toMatchObject({
      details: {
        fields: expect.arrayContaining([
          expect.objectContaining({ in: "query", field: "limit" }),
          { in: "query", field: "extra", message: "is not a known field" },
        ]),
      },
    });
    await expect(stateAfter(inputValidation(), testRoutes["test.public"], {}, { body: {} })).rejects.toMatchObject({
      details: { fields: [{ in: "body", field: "name", message: "is required" }] },
    });
  });

  it("refuses a path parameter that a lenient decoder made of bad percent-encoding", async () => {
    // Assess
    await expect(
      stateAfter(inputValidation(), route, { pathParameters: { itemId: "a\ufffdb" } }),
    ).rejects.toMatchObject({
      status: 400,
      details: { fields: [{ in: "path", field: "itemId", message: "is not valid percent-encoded UTF-8" }] },
    });
  });
});

describe("linkusCheck", () => {
  const deps = {} as Deps;

  it("asks the caller's Linkus permissions for the route's menu, with the function's deps", async () => {
    // Arrange
    const check = vi.fn(async () => undefined);
    const caller = tenantCaller();

    // Act
    await stateAfter(
      linkusCheck(() => deps, check),
      testRoutes["test.noBody"],
      {},
      { caller },
    );

    // Assess
    expect(check).toHaveBeenCalledWith(deps, caller, { menu: "contacts" });
  });

  it("lets its refusal through, and asks nothing of routes without a Linkus need or of other callers", async () => {
    // Arrange
    const refuse = vi.fn(async () => {
      throw new ForbiddenError("The contacts menu is hidden for you", { permission: "menu.contacts" });
    });

    // Assess
    await expect(
      stateAfter(
        linkusCheck(() => deps, refuse),
        testRoutes["test.noBody"],
        {},
        { caller: tenantCaller() },
      ),
    ).rejects.toMatchObject({ status: 403, details: { permission: "menu.contacts" } });
    refuse.mockClear();
    await stateAfter(
      linkusCheck(() => deps, refuse),
      testRoutes["test.tenant"],
      {},
      { caller: tenantCaller() },
    );
    await stateAfter(
      linkusCheck(() => deps, refuse),
      testRoutes["test.noBody"],
      {},
      { caller: { kind: "platform" } },
    );
    expect(refuse).not.toHaveBeenCalled();
    await expect(
      chain([linkusCheck(() => deps, refuse)])(
        proxyEvent(testRoutes["test.tenant"]),
        apiContext(testRoutes["test.tenant"]),
      ),
    ).resolves.toBe(OK);
  });
});
