import type { APIGatewayProxyEvent } from "aws-lambda";
import { UnsupportedMediaTypeError, ValidationError } from "../../errors.js";
import type { RouteContract } from "../contract.js";
import { bodyBytes, mediaTypeOf, readFileBody } from "../file-body.js";
import type { ApiMiddleware } from "./types.js";

/** The largest JSON body, unless the route takes files and says its own limit. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads the body of a route that declares one: JSON within the size limit, or, for routes that
 * take files, a raw or multipart file turned into the route's body. 413 beyond the limit, 415
 * for a media type the route does not read, 400 for JSON that does not parse. Routes without a
 * body schema never read theirs.
 */
export function requestBody(): ApiMiddleware {
  return {
    before: async ({ event, context: { api } }) => {
      if (!api.route.body) return;
      api.body = await readBody(api.route, event, api.headers);
    },
  };
}

async function readBody(
  route: RouteContract,
  event: APIGatewayProxyEvent,
  headers: Record<string, string | undefined>,
): Promise<unknown> {
  const mediaType = mediaTypeOf(headers);
  if (route.fileBody && mediaType !== "" && mediaType !== "application/json") {
    // File routes need a bearer token, which no other site's page can make a browser send.
    const file = await readFileBody(event, headers, route.fileBody);
    return route.fileBody.toBody(file, event.queryStringParameters ?? {});
  }
  const hasBody = event.body !== null && event.body !== undefined && event.body !== "";
  assertJsonContentType(route, mediaType, hasBody);
  if (!hasBody) return {};
  const text = bodyBytes(event, route.fileBody?.maxBytes ?? MAX_BODY_BYTES).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw ValidationError.one("body", "is not valid JSON");
  }
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
