import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeList } from "../../layers/core/routes.js";
import { TestApi } from "../support/api.js";

describe("GET /api/v1/openapi.json", () => {
  let api: TestApi;
  let document: Record<string, any>;
  beforeAll(async () => {
    api = await TestApi.start();
    const response = await api.request("GET", "/api/v1/openapi.json");
    expect(response.status).toBe(200);
    document = response.body;
  });
  afterAll(() => api.stop());

  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe("3.1.0");
  });

  it("describes every route of the route table, with its permission", () => {
    for (const route of routeList) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation.operationId).toBe(route.id);
      if (route.auth.kind === "tenant" && route.auth.permission)
        expect(operation["x-permission"]).toBe(route.auth.permission);
    }
    const operations = Object.values(document.paths).flatMap((item) => Object.keys(item as object));
    expect(operations).toHaveLength(routeList.length);
  });

  it("documents request fields with their rules", () => {
    const schema = document.paths["/api/v1/extensions"].post.requestBody.content["application/json"].schema;
    expect(schema.required).toEqual(expect.arrayContaining(["firstName", "number"]));
    expect(schema.properties.concurrentRegistrations).toMatchObject({ minimum: 1, maximum: 3, default: 1 });
    expect(schema.properties.role).toMatchObject({ default: "none", pattern: expect.stringContaining("super_admin") });
  });
});
