import type { Logger } from "@aws-lambda-powertools/logger";
import type { ApiMiddleware, ApiRequest } from "./types.js";

const started = new WeakMap<object, number>();

/**
 * One "request" line per request, answered or failed: method, resource, status and duration;
 * the request, route and tenant ids come from the logger's keys. Never the body.
 */
export function accessLog(logger: Logger): ApiMiddleware {
  const log = (request: ApiRequest) => {
    const since = started.get(request.context);
    logger.info("request", {
      method: request.event.httpMethod,
      path: request.event.resource,
      status: request.response?.statusCode,
      durationMs: since === undefined ? undefined : Math.round(performance.now() - since),
    });
  };
  return {
    before: (request) => {
      started.set(request.context, performance.now());
    },
    // After the error mapper's onError (middy runs onError in reverse order), so a failure has its status.
    after: log,
    onError: log,
  };
}
