import * as z from "zod";
import { defineRoute, defineRoutes, platform, tenantRoute } from "../../../layers/core/http/contract.js";

/** Routes of each kind the middlewares treat differently, for testing them one at a time. */
export const testRoutes = defineRoutes("meta", {
  "test.public": defineRoute({
    method: "POST",
    path: "/api/v1/test/public",
    auth: { kind: "public" },
    summary: "a public route with a body",
    body: z.strictObject({ name: z.string(), count: z.number().default(1) }),
    response: z.object({ ok: z.boolean() }),
    successStatus: 200,
  }),
  "test.platform": defineRoute({
    method: "GET",
    path: "/api/v1/test/platform",
    auth: platform,
    summary: "a platform route",
    successStatus: 204,
  }),
  "test.tenant": defineRoute({
    method: "GET",
    path: "/api/v1/test/items/{itemId}",
    auth: tenantRoute("extensions.view"),
    summary: "a tenant route needing a permission, with path and query",
    params: z.strictObject({ itemId: z.string().min(2) }),
    query: z.strictObject({ limit: z.coerce.number().int().default(10) }),
    response: z.object({ ok: z.boolean() }),
    successStatus: 200,
  }),
  "test.noBody": defineRoute({
    method: "POST",
    path: "/api/v1/test/no-body",
    auth: tenantRoute(),
    summary: "a tenant route without a body schema",
    linkus: { menu: "contacts" },
    successStatus: 204,
  }),
  "test.file": defineRoute({
    method: "POST",
    path: "/api/v1/test/file",
    auth: tenantRoute(),
    summary: "a route that also takes a CSV file",
    body: z.strictObject({ rows: z.array(z.string()) }),
    fileBody: {
      field: "file",
      maxBytes: 64,
      rawTypes: ["text/csv"],
      toBody: (file) => ({ rows: file.bytes.toString("utf8").split("\n").filter(Boolean) }),
    },
    response: z.object({ ok: z.boolean() }),
    successStatus: 202,
  }),
});
