import { ValidationError } from "../../errors.js";
import { parsePart } from "../validate.js";
import type { ApiMiddleware } from "./types.js";

/**
 * Validates path, query and body against the route's zod schemas; every bad field is named in
 * one 400. What passes is what the implementation receives, defaults applied.
 */
export function inputValidation(): ApiMiddleware {
  return {
    before: ({ event, context: { api } }) => {
      const { route } = api;
      const params = event.pathParameters ?? {};
      for (const [name, value] of Object.entries(params)) {
        // A replacement character or a control character is what a lenient decoder makes of bad
        // percent-encoding (%ff%fe); no id, address or name in a path holds one.
        if (value !== undefined && [...value].some(isUndecodable)) {
          throw ValidationError.one(name, "is not valid percent-encoded UTF-8", "path");
        }
      }
      api.input = {
        params: route.params ? parsePart(route.params, params, "path") : {},
        query: route.query ? parsePart(route.query, event.queryStringParameters ?? {}, "query") : {},
        body: route.body ? parsePart(route.body, api.body, "body") : undefined,
      };
    },
  };
}

const isUndecodable = (char: string) => char === "\ufffd" || char < " " || char === "\u007f";
