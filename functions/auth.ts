import { createGroupHandler } from "#core/http/handler";
import { login } from "#core/services/auth";

export const handler = createGroupHandler("auth", {
  "auth.login": ({ body }, { deps }) => login(deps, body),
});
