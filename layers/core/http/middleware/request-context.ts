import type { Logger } from "@aws-lambda-powertools/logger";
import { NotFoundError } from "../../errors.js";
import { decodeCaller } from "../authorizer-context.js";
import type { RouteContract } from "../contract.js";
import type { RouteMatcher } from "../route-match.js";
import { type ApiMiddleware, requestIdOf } from "./types.js";

/**
 * First of the chain after the logger: finds the route API Gateway matched among the function's
 * own, reads the caller the authorizer passed, and puts the request and tenant ids on every log
 * line (injectLambdaContext's resetKeys clears them after the request). 404 for a route this
 * function does not serve.
 */
export function requestContext(routes: RouteMatcher<RouteContract>, logger: Logger): ApiMiddleware {
  return {
    before: (request) => {
      const { event } = request;
      const requestId = requestIdOf(request);
      const route = routes.byResource(event.httpMethod, event.resource);
      const caller = decodeCaller(event.requestContext?.authorizer);
      logger.appendKeys({
        requestId,
        route: route?.id,
        tenantId: caller.kind === "tenant" ? caller.tenantId : undefined,
      });
      if (!route) throw new NotFoundError("Route");
      request.context.api = {
        requestId,
        route,
        caller,
        headers: Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        sourceIp: event.requestContext?.identity?.sourceIp ?? "",
        body: undefined,
        input: { params: {}, query: {}, body: undefined },
      };
    },
  };
}
