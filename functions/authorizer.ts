import { createHash, timingSafeEqual } from "node:crypto";
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { platformKey } from "#core/auth/keys";
import { defaultDeps } from "#core/deps";
import { encodeCaller } from "#core/http/authorizer-context";
import { RouteMatcher } from "#core/http/route-match";
import { logger } from "#core/logger";
import { routeAccess } from "#core/routes/access";
import { authorizeAccessToken } from "#core/services/auth";

const routes = new RouteMatcher(routeAccess);

/**
 * API Gateway REQUEST authorizer for every non-public route. The matched route's `auth.kind`
 * says which credential it takes: platform routes the operator's platform key, tenant routes
 * an access token. Throwing "Unauthorized" is API Gateway's way to answer 401; a Deny policy
 * answers 403 with our reason.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const route = routes.byResource(event.httpMethod, event.resource);
  const token = bearerToken(event.headers);
  // A public route never reaches the authorizer (the API stack gives it none): fail closed.
  if (!route || route.auth === "public" || !token) throw new Error("Unauthorized");
  const deps = defaultDeps();

  if (route.auth === "platform") {
    if (!sameSecret(token, await platformKey())) throw new Error("Unauthorized");
    return policy("platform", "Allow", event.methodArn, encodeCaller({ kind: "platform" }));
  }

  const result = await authorizeAccessToken(deps, token);
  switch (result.outcome) {
    case "unauthorized":
      throw new Error("Unauthorized");
    case "deny":
      logger.info("access denied", { reason: result.reason });
      return policy("denied", "Deny", event.methodArn, { reason: result.reason });
    case "allow":
      return policy(result.caller.extensionId, "Allow", event.methodArn, encodeCaller(result.caller));
  }
}

function bearerToken(headers: APIGatewayRequestAuthorizerEvent["headers"]): string | undefined {
  const value = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === "authorization")?.[1];
  const match = /^Bearer\s+(\S+)$/i.exec(value ?? "");
  return match?.[1];
}

/** Compares digests so neither length nor content leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function policy(
  principalId: string,
  effect: "Allow" | "Deny",
  methodArn: string,
  context: Record<string, string>,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: methodArn }],
    },
    context,
  };
}
