import * as z from "zod";
import type { RouteContract } from "./http/contract.js";
import { routeList } from "./routes.js";
import { errorBody } from "./schemas/common.js";

/** The OpenAPI 3.1 document, generated from the route table so it cannot disagree with the API. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routeList as RouteContract[]) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "cloud-pbx API",
      version: "1.0.0",
      description:
        "Multi-tenant cloud PBX: tenants, SIP extensions, organizations. Tenant routes need a Bearer access token from /api/v1/auth/login; platform routes need the platform admin key as a Bearer token.",
    },
    components: {
      securitySchemes: {
        accessToken: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        platformKey: { type: "http", scheme: "bearer", description: "The SaaS operator's platform admin key" },
      },
      schemas: { Error: toSchema(errorBody, "output") },
    },
    paths,
  };
}

function toSchema(schema: z.ZodType, io: "input" | "output") {
  return z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" });
}

function operation(route: RouteContract) {
  const parameters = [...objectParameters(route.params, "path"), ...objectParameters(route.query, "query")];
  const errorContent = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
  const responses: Record<string, unknown> = {
    [route.successStatus]:
      route.successStatus === 204 || !route.response
        ? { description: "Done" }
        : { description: "OK", content: { "application/json": { schema: toSchema(route.response, "output") } } },
    400: { description: "Invalid input; `fields` names each bad field", content: errorContent },
  };
  if (route.fileBody) {
    responses[413] = { description: "Too large; `limit` names the limit", content: errorContent };
    responses[415] = { description: "Not a format this route takes; `accepted` lists them", content: errorContent };
  }
  if (route.auth.kind !== "public") {
    responses[401] = { description: "Missing or invalid credential", content: errorContent };
    responses[403] = { description: "Not allowed; `permission` names what is missing", content: errorContent };
  }
  if (route.params) responses[404] = { description: "Not found", content: errorContent };
  if (route.body) {
    responses[415] = { description: "The body is not declared `application/json`", content: errorContent };
  }
  if (route.method !== "GET" && route.method !== "DELETE") {
    responses[409] = { description: "Conflict; `field` names the taken value", content: errorContent };
  }
  return {
    operationId: route.id,
    summary: route.summary,
    tags: [route.group],
    ...(route.auth.kind === "tenant" && route.auth.permission ? { "x-permission": route.auth.permission } : {}),
    ...(route.linkus ? { "x-linkus": route.linkus } : {}),
    security:
      route.auth.kind === "public" ? [] : [route.auth.kind === "platform" ? { platformKey: [] } : { accessToken: [] }],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: bodyContent(route) } } : {}),
    responses,
  };
}

/** JSON, and for routes that take files, the file as the body or as a form's `file` field. */
function bodyContent(route: RouteContract): Record<string, unknown> {
  const json = { "application/json": { schema: toSchema(route.body as z.ZodType, "input") } };
  if (!route.fileBody) return json;
  const file = { type: "string", format: "binary" };
  return {
    ...json,
    ...Object.fromEntries(route.fileBody.rawTypes.map((type) => [type, { schema: file }])),
    "multipart/form-data": {
      schema: {
        type: "object",
        required: [route.fileBody.field],
        properties: { [route.fileBody.field]: file },
        // The body's other fields, as form fields (for imports: mode, format).
        additionalProperties: { type: "string" },
      },
    },
  };
}

function objectParameters(schema: z.ZodType | undefined, location: "path" | "query") {
  if (!schema) return [];
  const json = toSchema(schema, "input") as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === "path" || (json.required ?? []).includes(name),
    schema: property,
  }));
}
