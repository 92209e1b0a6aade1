import { ForbiddenError, UnauthorizedError } from "../../errors.js";
import type { ApiMiddleware } from "./types.js";

/** The one place a route's credential and permission are checked against the caller. */
export function authorization(): ApiMiddleware {
  return {
    before: ({ context: { api } }) => {
      const { route, caller } = api;
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
    },
  };
}
