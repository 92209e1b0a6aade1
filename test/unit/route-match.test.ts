import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { handler as authorizer } from "../../functions/authorizer.js";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { RouteMatcher } from "../../layers/core/http/route-match.js";
import { routeAccess, routeAccessOf } from "../../layers/core/routes/access.js";
import { routeList, routes } from "../../layers/core/routes.js";

const matcher = new RouteMatcher(routeList as readonly RouteContract[]);

describe("the route matcher", () => {
  it("matches a path to its route and hands back the raw path parameters", () => {
    // Act
    const match = matcher.match("GET", "/api/v1/phonebook/acme/yealink%2Exml");

    // Assess
    expect(match?.route.id).toBe("phonebook.serve");
    expect(match?.rawParams).toEqual({ server: "acme", file: "yealink%2Exml" });
  });

  it("gives a path to the most specific resource, and never hands its missing methods to a sibling", () => {
    // Assess
    expect(matcher.match("GET", "/api/v1/company-contacts/export")?.route.id).toBe("companyContacts.export");
    expect(matcher.match("GET", "/api/v1/company-contacts/c1")?.route.id).toBe("companyContacts.get");
    expect(matcher.match("DELETE", "/api/v1/company-contacts/export")).toBeUndefined();
  });

  it("matches paths literally: a dot is a dot, a segment is a whole segment", () => {
    // Assess
    expect(matcher.match("GET", "/api/v1/openapi.json")?.route.id).toBe("meta.openapi");
    expect(matcher.match("GET", "/api/v1/openapiXjson")).toBeUndefined();
    expect(matcher.match("GET", "/api/v1/company-contacts/a/b")).toBeUndefined();
    expect(matcher.match("GET", "/api/v1/me/")).toBeUndefined();
  });

  it("looks up the resource API Gateway matched", () => {
    // Assess
    expect(matcher.byResource("GET", "/api/v1/company-contacts/{contactId}")?.id).toBe("companyContacts.get");
    expect(matcher.byResource("GET", "/api/v1/company-contacts/c1")).toBeUndefined();
    expect(matcher.byResource("POST", "/api/v1/company-contacts/{contactId}")).toBeUndefined();
  });
});

describe("the authorizer's access list", () => {
  it("is the route table's methods, paths and credential kinds (else: npm run routes:access)", () => {
    // Assess
    expect(routeAccess).toEqual(routeAccessOf(routeList as readonly RouteContract[]));
  });
});

describe("the authorizer", () => {
  const platformKey = () => process.env.PBX_PLATFORM_KEY as string;
  const eventFor = (id: keyof typeof routes, token: string): APIGatewayRequestAuthorizerEvent => {
    const route = routes[id];
    return authorizerEvent(route.method, route.path, token);
  };

  it("takes the platform key on a route whose auth.kind is platform", async () => {
    // Act
    const result = await authorizer(eventFor("platform.tenants.list", platformKey()));
    const ingest = await authorizer(eventFor("records.ingest", platformKey()));

    // Assess
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: "Allow" });
    expect(result.context).toEqual({ kind: "platform" });
    expect(ingest.context).toEqual({ kind: "platform" });
  });

  it("refuses the platform key on a tenant route, and a wrong key on a platform route", async () => {
    // Assess
    await expect(authorizer(eventFor("me.get", platformKey()))).rejects.toThrow("Unauthorized");
    await expect(authorizer(eventFor("platform.tenants.list", `${platformKey()}x`))).rejects.toThrow("Unauthorized");
  });

  it("fails closed on a resource that is not a route of the table, and on a public route", async () => {
    // Assess
    await expect(authorizer(authorizerEvent("GET", "/api/v1/platform/keys", platformKey()))).rejects.toThrow(
      "Unauthorized",
    );
    await expect(authorizer(eventFor("auth.login", platformKey()))).rejects.toThrow("Unauthorized");
  });
});

function authorizerEvent(method: string, resource: string, token: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: "REQUEST",
    methodArn: `arn:aws:execute-api:us-east-1:000000000000:api/test/${method}${resource}`,
    resource,
    path: resource,
    httpMethod: method,
    headers: { Authorization: `Bearer ${token}` },
    multiValueHeaders: null,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayRequestAuthorizerEvent["requestContext"],
  };
}
