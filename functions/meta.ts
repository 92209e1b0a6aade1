import { createGroupHandler } from "#core/http/handler";
import { buildOpenApiDocument } from "#core/openapi";

let document: Record<string, unknown> | undefined;

export const handler = createGroupHandler("meta", {
  "meta.openapi": async () => {
    document ??= buildOpenApiDocument();
    return document;
  },
});
