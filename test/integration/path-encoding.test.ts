import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handler as contactsHandler } from "../../functions/contacts.js";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { routeList } from "../../layers/core/routes.js";
import { TestApi } from "../support/api.js";

/** Bad percent-encoding in a path parameter is the caller's mistake: 400 naming it, never a 500. */
const withParams = (routeList as RouteContract[]).filter((route) => route.path.includes("{"));

describe("percent-encoding in path parameters", () => {
  let api: TestApi;
  let tenant: Awaited<ReturnType<TestApi["createTenant"]>>;

  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
  });
  afterAll(() => api?.stop());

  it.each(withParams.map((route) => [route.id, route] as const))("%s answers 400 for %ff%fe", async (_id, route) => {
    // Prepare: every parameter badly encoded (the first one is named)
    const path = route.path.replace(/\{\w+\}/g, "%ff%fe");
    const token = route.auth.kind === "platform" ? api.platformKey : tenant.token;

    // Act
    const response = await api.request(route.method, path, {
      token,
      ...(route.body ? { body: {} } : {}),
    });

    // Assess
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    const first = /\{(\w+)\}/.exec(route.path)?.[1];
    expect(response.body.fields).toEqual([expect.objectContaining({ in: "path", field: first })]);
  });

  it("the handler itself refuses a parameter a lenient decoder turned into U+FFFD", async () => {
    // Prepare: the event API Gateway would build if it replaced the bad bytes
    const event = {
      resource: "/api/v1/phonebook/{server}/{file}",
      httpMethod: "GET",
      path: "/api/v1/phonebook/%ff%fe/yealink.xml",
      headers: {},
      pathParameters: { server: "\ufffd\ufffd", file: "yealink.xml" },
      queryStringParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: "r1", identity: { sourceIp: "192.0.2.1" } },
    } as unknown as APIGatewayProxyEvent;

    // Act
    const result = await contactsHandler(event, { awsRequestId: "r1" } as Context);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).fields).toEqual([expect.objectContaining({ in: "path", field: "server" })]);
  });
});
