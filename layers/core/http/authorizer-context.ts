import { isPermission, type Permission } from "../permissions.js";
import type { Caller } from "../services/caller.js";

/**
 * API Gateway passes an authorizer's context to the integration as flat string values;
 * these two functions are the only writer and reader of that shape.
 */
export type AuthorizerContext = Record<string, string>;

export function encodeCaller(caller: Exclude<Caller, { kind: "public" }>): AuthorizerContext {
  if (caller.kind === "platform") return { kind: "platform" };
  return {
    kind: "tenant",
    tenantId: caller.tenantId,
    tenantSlug: caller.tenantSlug,
    extensionId: caller.extensionId,
    sessionId: caller.sessionId,
    role: caller.role,
    permissions: [...caller.permissions].join(","),
  };
}

export function decodeCaller(context: Record<string, unknown> | null | undefined): Caller {
  if (context?.kind === "platform") return { kind: "platform" };
  if (
    context?.kind === "tenant" &&
    typeof context.tenantId === "string" &&
    typeof context.tenantSlug === "string" &&
    typeof context.extensionId === "string" &&
    typeof context.sessionId === "string" &&
    typeof context.role === "string"
  ) {
    const permissions = String(context.permissions ?? "")
      .split(",")
      .filter(isPermission);
    return {
      kind: "tenant",
      tenantId: context.tenantId,
      tenantSlug: context.tenantSlug,
      extensionId: context.extensionId,
      sessionId: context.sessionId,
      role: context.role,
      permissions: new Set<Permission>(permissions),
    };
  }
  return { kind: "public" };
}
