import middy from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { type Deps, defaultDeps } from "../deps.js";
import {
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../errors.js";
import { logger } from "../logger.js";
import type { Caller, TenantCaller } from "../services/caller.js";
import { assertLinkusAllowed } from "../services/linkus-permissions.js";
import { decodeCaller } from "./authorizer-context.js";
import type { RouteContract, RouteInput, RouteOutput } from "./contract.js";
import { bodyBytes, mediaTypeOf, readFileBody } from "./file-body.js";
import { errorResponse, jsonResponse, RawBody } from "./responses.js";
import { parsePart } from "./validate.js";

type CallerFor<R> = R extends { auth: { kind: "tenant" } }
  ? TenantCaller
  : R extends { auth: { kind: "platform" } }
    ? { kind: "platform" }
    : Caller;

export interface RequestContext<R> {
  caller: CallerFor<R>;
  /** Request headers, lower-cased names (for the few routes that read one, such as If-None-Match). */
  headers: Record<string, string | undefined>;
  requestId: string;
  sourceIp: string;
  deps: Deps;
}

/** One function group's routes, as routes/<group>.ts declares them (defineRoutes). */
export type AnyGroupRoutes = { readonly [id: string]: RouteContract };

/**
 * What a route's implementation resolves to: exactly what its response schema accepts; with no
 * schema, nothing (204) or a raw body (a CSV export, a phonebook).
 */
export type RouteResult<R> =
  unknown extends RouteOutput<R>
    ? R extends { successStatus: 204 }
      ? Promise<void>
      : Promise<RawBody>
    : Promise<RouteOutput<R>>;

/** A group's implementation map: exactly its routes, each with its own input and result types. */
export type Implementations<R extends AnyGroupRoutes> = {
  [K in keyof R]: (input: RouteInput<R[K]>, context: RequestContext<R[K]>) => RouteResult<R[K]>;
};

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Builds the Lambda handler for one function group from its routes (routes/<group>.ts: a
 * function imports only its own group's routes and schemas). The central path every request
 * takes: find the route, check the caller against the route's credential and permission,
 * validate path, query and body against the route's schemas, run the service, shape the
 * response.
 */
export function createGroupHandler<R extends AnyGroupRoutes>(
  routes: R,
  implementations: Implementations<R>,
  depsFactory: () => Deps = defaultDeps,
) {
  const groupRoutes = Object.values(routes) as RouteContract[];
  const groups = new Set(groupRoutes.map((route) => route.group));
  if (groups.size !== 1) throw new Error(`A function serves one route group, not ${[...groups].join(", ")}`);
  // The compiler checks this (Implementations); this catches a map built around the types.
  const ids = groupRoutes.map((route) => route.id);
  const stray = Object.keys(implementations).filter((id) => !ids.includes(id));
  const missing = ids.filter((id) => typeof implementations[id as keyof R] !== "function");
  if (stray.length || missing.length) {
    throw new Error(
      `Implementations must match the routes: missing ${missing.join(", ") || "none"}, not routes ${stray.join(", ") || "none"}`,
    );
  }

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>().handler(async (event, context) => {
    const started = performance.now();
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    const route = groupRoutes.find((r) => r.path === event.resource && r.method === event.httpMethod);
    const caller = decodeCaller(event.requestContext?.authorizer);
    logger.addContext(context);
    logger.appendKeys({
      requestId,
      route: route?.id,
      tenantId: caller.kind === "tenant" ? caller.tenantId : undefined,
    });

    let response: APIGatewayProxyResult;
    try {
      if (!route) throw new NotFoundError("Route");
      authorize(route, caller);
      const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      const input = await parseInput(route, event, headers);
      if (route.linkus && caller.kind === "tenant") await assertLinkusAllowed(depsFactory(), caller, route.linkus);
      const implementation = implementations[route.id as keyof R] as unknown as (
        input: unknown,
        context: unknown,
      ) => Promise<unknown>;
      const result = await implementation(input, {
        caller,
        headers,
        requestId,
        sourceIp: event.requestContext?.identity?.sourceIp ?? "",
        deps: depsFactory(),
      });
      response =
        result instanceof RawBody
          ? {
              statusCode: result.status ?? route.successStatus,
              headers: { "content-type": result.contentType, "x-request-id": requestId, ...result.headers },
              body: result.body,
            }
          : jsonResponse(route.successStatus, result, requestId);
    } catch (error) {
      if (!(error instanceof DomainError)) logger.error("Request failed", error as Error);
      response = errorResponse(error, requestId);
    }
    logger.info("request", {
      method: event.httpMethod,
      path: event.resource,
      status: response.statusCode,
      durationMs: Math.round(performance.now() - started),
    });
    logger.removeKeys(["requestId", "route", "tenantId"]);
    return response;
  });
}

/** The one place a route's credential and permission are checked. */
function authorize(route: RouteContract, caller: Caller): void {
  switch (route.auth.kind) {
    case "public":
      return;
    case "platform":
      if (caller.kind !== "platform") throw new UnauthorizedError("This route needs the platform admin credential");
      return;
    case "tenant": {
      if (caller.kind !== "tenant") throw new UnauthorizedError();
      const needed = route.auth.permission;
      if (needed && !caller.permissions.has(needed)) {
        throw new ForbiddenError(`Your role does not have the ${needed} permission`, { permission: needed });
      }
    }
  }
}

async function parseInput(
  route: RouteContract,
  event: APIGatewayProxyEvent,
  headers: Record<string, string | undefined>,
) {
  const params = event.pathParameters ?? {};
  for (const [name, value] of Object.entries(params)) {
    // A replacement character or a control character is what a lenient decoder makes of bad
    // percent-encoding (%ff%fe); no id, address or name in a path holds one.
    if (value !== undefined && [...value].some(isUndecodable)) {
      throw ValidationError.one(name, "is not valid percent-encoded UTF-8", "path");
    }
  }
  return {
    params: route.params ? parsePart(route.params, params, "path") : {},
    query: route.query ? parsePart(route.query, event.queryStringParameters ?? {}, "query") : {},
    body: route.body ? parsePart(route.body, await readBody(route, event, headers), "body") : undefined,
  };
}

/** JSON, or for routes that take files, a raw or multipart file turned into the route's body. */
async function readBody(
  route: RouteContract,
  event: APIGatewayProxyEvent,
  headers: Record<string, string | undefined>,
) {
  const mediaType = mediaTypeOf(headers);
  if (route.fileBody && mediaType !== "" && mediaType !== "application/json") {
    // File routes need a bearer token, which no other site's page can make a browser send.
    const file = await readFileBody(event, headers, route.fileBody);
    return route.fileBody.toBody(file, event.queryStringParameters ?? {});
  }
  const hasBody = event.body !== null && event.body !== undefined && event.body !== "";
  assertJsonContentType(route, mediaType, hasBody);
  if (!hasBody) return {};
  return readJsonBody(event, route.fileBody?.maxBytes ?? MAX_BODY_BYTES);
}

/**
 * A body must be declared JSON. Besides saying what the API reads, this is the CSRF stance
 * (docs/security.md): a page on another site can make a browser send text/plain, a form or
 * multipart without asking, but application/json needs a CORS preflight that this API never
 * grants. The public routes (logins) insist even on an empty body, so no other site can make
 * its visitors' browsers fail logins and get their office's IP blocked.
 */
function assertJsonContentType(route: RouteContract, mediaType: string, hasBody: boolean): void {
  if (!hasBody && route.auth.kind !== "public") return;
  if (mediaType !== "application/json") {
    throw new UnsupportedMediaTypeError(
      mediaType ? `must be application/json, not ${mediaType}` : "is required: application/json",
    );
  }
}

const isUndecodable = (char: string) => char === "\ufffd" || char < " " || char === "\u007f";

function readJsonBody(event: APIGatewayProxyEvent, maxBytes: number): unknown {
  const text = bodyBytes(event, maxBytes).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw ValidationError.one("body", "is not valid JSON");
  }
}
