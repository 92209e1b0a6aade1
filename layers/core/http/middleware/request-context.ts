import type { Logger } from "@aws-lambda-powertools/logger";
import { originSecret } from "../../auth/keys.js";
import { NotFoundError } from "../../errors.js";
import { decodeCaller } from "../authorizer-context.js";
import { callerIp, ORIGIN_SECRET_HEADER, VIEWER_ADDRESS_HEADER } from "../caller-ip.js";
import type { RouteContract } from "../contract.js";
import type { RouteMatcher } from "../route-match.js";
import { type ApiMiddleware, requestIdOf } from "./types.js";

/**
 * First of the chain after the logger: finds the route API Gateway matched among the function's
 * own, reads the caller the authorizer passed, and puts the request and tenant ids on every log
 * line (injectLambdaContext's resetKeys clears them after the request). 404 for a route this
 * function does not serve. The caller's IP is the viewer's behind CloudFront (caller-ip.ts); the
 * origin secret and viewer address headers go no further than here.
 */
export function requestContext(
  routes: RouteMatcher<RouteContract>,
  logger: Logger,
  readOriginSecret: () => Promise<string | undefined> = originSecret,
): ApiMiddleware {
  return {
    before: async (request) => {
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
      const headers = Object.fromEntries(
        Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      ) as Record<string, string | undefined>;
      const gatewayIp = event.requestContext?.identity?.sourceIp ?? "";
      // The secret is read only for a request that claims to come through CloudFront.
      const sourceIp =
        headers[ORIGIN_SECRET_HEADER] === undefined
          ? gatewayIp
          : callerIp(gatewayIp, headers, await readOriginSecret());
      delete headers[ORIGIN_SECRET_HEADER];
      delete headers[VIEWER_ADDRESS_HEADER];
      request.context.api = {
        requestId,
        route,
        caller,
        headers,
        sourceIp,
        body: undefined,
        input: { params: {}, query: {}, body: undefined },
      };
    },
  };
}
