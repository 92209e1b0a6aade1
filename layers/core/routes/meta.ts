/**
 * The API's own description. The routes the meta function serves; ../routes.ts joins every
 * group's routes into the one route table.
 */
import * as z from "zod";
import { defineRoute, defineRoutes } from "../http/contract.js";
import { clientConfig } from "../schemas/meta.js";

export const metaRoutes = defineRoutes("meta", {
  "meta.openapi": defineRoute({
    method: "GET",
    path: "/api/v1/openapi.json",
    auth: { kind: "public" },
    summary: "This API's OpenAPI 3.1 document",
    response: z.record(z.string(), z.unknown()),
    successStatus: 200,
  }),
  "meta.clientConfig": defineRoute({
    method: "GET",
    path: "/api/v1/client-config",
    auth: { kind: "public" },
    summary: "Where clients reach the Linkus channel, for the Web Client before it signs in",
    response: clientConfig,
    successStatus: 200,
  }),
});
