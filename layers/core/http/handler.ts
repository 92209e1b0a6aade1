import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { type Deps, defaultDeps } from "../deps.js";
import { logger } from "../logger.js";
import type { Caller, TenantCaller } from "../services/caller.js";
import type { RouteContract, RouteInput, RouteOutput } from "./contract.js";
import { accessLog } from "./middleware/access-log.js";
import { authorization } from "./middleware/authorization.js";
import { httpErrors } from "./middleware/http-errors.js";
import { inputValidation } from "./middleware/input-validation.js";
import { linkusCheck } from "./middleware/linkus-check.js";
import { requestBody } from "./middleware/request-body.js";
import { requestContext } from "./middleware/request-context.js";
import type { ApiContext } from "./middleware/types.js";
import { jsonResponse, RawBody } from "./responses.js";
import { RouteMatcher } from "./route-match.js";

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

/**
 * Builds the Lambda handler for one function group from its routes (routes/<group>.ts: a
 * function imports only its own group's routes and schemas) and its implementation map. Every
 * request takes the same middy chain (docs/architecture.md): log context, access log, error
 * mapping, route and caller, credential and permission, body, validation, Linkus permissions;
 * then the route's implementation runs and its result becomes the response.
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
  const run = implementations as unknown as Record<string, (input: unknown, context: unknown) => Promise<unknown>>;

  // middy runs `before` in this order, `after` and `onError` in the reverse one.
  const chain = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ApiContext>()
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(accessLog(logger))
    .use(httpErrors(logger))
    .use(requestContext(new RouteMatcher(groupRoutes), logger))
    .use(authorization())
    .use(requestBody())
    .use(inputValidation())
    .use(linkusCheck(depsFactory))
    .handler(async (_event, { api }) => {
      const { route, requestId } = api;
      const result = await run[route.id]?.(api.input, {
        caller: api.caller,
        headers: api.headers,
        requestId,
        sourceIp: api.sourceIp,
        deps: depsFactory(),
      });
      return result instanceof RawBody
        ? {
            statusCode: result.status ?? route.successStatus,
            headers: { "content-type": result.contentType, "x-request-id": requestId, ...result.headers },
            body: result.body,
          }
        : jsonResponse(route.successStatus, result, requestId);
    });
  // Lambda hands over a plain Context; requestContext adds the `api` state before anyone reads it.
  return (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> =>
    chain(event, context as ApiContext);
}
