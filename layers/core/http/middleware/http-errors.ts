import type { Logger } from "@aws-lambda-powertools/logger";
import { DomainError } from "../../errors.js";
import { errorResponse } from "../responses.js";
import { type ApiMiddleware, requestIdOf } from "./types.js";

/**
 * The one mapping from errors to HTTP, in onError: a domain error answers its 4xx with what was
 * wrong; anything else is logged and answers a 500 that says nothing internal.
 */
export function httpErrors(logger: Logger): ApiMiddleware {
  return {
    onError: (request) => {
      const { error } = request;
      if (!(error instanceof DomainError)) logger.error("Request failed", error as Error);
      request.response = errorResponse(error, requestIdOf(request));
    },
  };
}
