import { createGroupHandler } from "#core/http/handler";
import { buildOpenApiDocument } from "#core/openapi";
import { metaRoutes } from "#core/routes/meta";

let document: Record<string, unknown> | undefined;

export const handler = createGroupHandler(metaRoutes, {
  "meta.openapi": async () => {
    document ??= buildOpenApiDocument();
    return document;
  },
  "meta.clientConfig": async (_input, { deps: { config } }) => {
    return {
      linkusUrl: config.publicLinkusUrl,
      sipHost: config.publicSipHost,
      linkusPort: config.publicLinkusPort,
      iceTransportPolicy: config.ice.transportPolicy,
    };
  },
});
