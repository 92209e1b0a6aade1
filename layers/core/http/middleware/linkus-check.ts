import type { Deps } from "../../deps.js";
import { assertLinkusAllowed } from "../../services/linkus-permissions.js";
import type { ApiMiddleware } from "./types.js";

type LinkusCheck = typeof assertLinkusAllowed;

/**
 * For routes that name a Linkus menu, operation or Company Contacts access: the caller's Linkus
 * permission rules must allow it, besides the role permission (403 naming what is missing).
 */
export function linkusCheck(deps: () => Deps, check: LinkusCheck = assertLinkusAllowed): ApiMiddleware {
  return {
    before: async ({ context: { api } }) => {
      const { route, caller } = api;
      if (route.linkus && caller.kind === "tenant") await check(deps(), caller, route.linkus);
    },
  };
}
