import { createGroupHandler } from "#core/http/handler";
import { authRoutes } from "#core/routes/auth";
import { login, logout, quickLogin } from "#core/services/auth";
import { refreshSession } from "#core/services/sessions";

export const handler = createGroupHandler(authRoutes, {
  "auth.login": ({ body }, { deps, sourceIp }) => login(deps, body, { sourceIp }),
  "auth.quickLogin": ({ body }, { deps, sourceIp }) => quickLogin(deps, body, { sourceIp }),
  "auth.refresh": ({ body }, { deps }) => refreshSession(deps, body.refreshToken),
  "auth.logout": (_input, { deps, caller }) => logout(deps, caller),
});
