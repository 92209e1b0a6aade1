import { describe, expect, it } from "vitest";
import { decodeCaller, encodeCaller } from "../../layers/core/http/authorizer-context.js";
import { DEFAULT_ROLES, type Permission } from "../../layers/core/permissions.js";
import type { TenantCaller } from "../../layers/core/services/caller.js";

const TENANT_CALLER: TenantCaller = {
  kind: "tenant",
  tenantId: "01J0000000000000000000000A",
  tenantSlug: "acme",
  extensionId: "01J0000000000000000000EXT1",
  sessionId: "01J0000000000000000000SES1",
  role: "human_resource",
  permissions: new Set<Permission>(DEFAULT_ROLES.human_resource.permissions),
};

describe("authorizer context", () => {
  it("round-trips a tenant caller through flat string values", () => {
    // Act
    const context = encodeCaller(TENANT_CALLER);
    const decoded = decodeCaller(context);

    // Assert
    for (const value of Object.values(context)) expect(typeof value).toBe("string");
    expect(decoded).toEqual(TENANT_CALLER);
  });

  it("round-trips a caller holding every permission, and one holding none", () => {
    // Arrange
    const superAdmin = {
      ...TENANT_CALLER,
      role: "super_admin",
      permissions: new Set(DEFAULT_ROLES.super_admin.permissions),
    };
    const nobody = { ...TENANT_CALLER, role: "none", permissions: new Set<Permission>() };

    // Act
    const decodedSuperAdmin = decodeCaller(encodeCaller(superAdmin));
    const decodedNobody = decodeCaller(encodeCaller(nobody));

    // Assert
    expect(decodedSuperAdmin).toEqual(superAdmin);
    expect(decodedNobody).toEqual(nobody);
  });

  it("round-trips the platform caller", () => {
    // Act
    const decoded = decodeCaller(encodeCaller({ kind: "platform" }));

    // Assert
    expect(decoded).toEqual({ kind: "platform" });
  });

  it("drops permissions it does not know", () => {
    // Arrange
    const context = {
      ...encodeCaller(TENANT_CALLER),
      permissions: "extensions.view,root.everything,,EXTENSIONS.MANAGE, organizations.view,roles.view",
    };

    // Act
    const decoded = decodeCaller(context);

    // Assert
    expect(decoded.kind).toBe("tenant");
    expect(decoded.kind === "tenant" && [...decoded.permissions]).toEqual(["extensions.view", "roles.view"]);
  });

  it("treats a tenant context without a permissions value as holding none", () => {
    // Arrange
    const { permissions: _dropped, ...context } = encodeCaller(TENANT_CALLER);

    // Act
    const decoded = decodeCaller(context);

    // Assert
    expect(decoded).toEqual({ ...TENANT_CALLER, permissions: new Set() });
  });

  it.each(["tenantId", "tenantSlug", "extensionId", "sessionId", "role"])(
    "treats a tenant context without %s as public",
    (key) => {
      // Arrange
      const context: Record<string, unknown> = { ...encodeCaller(TENANT_CALLER) };
      delete context[key];

      // Act
      const decoded = decodeCaller(context);

      // Assert
      expect(decoded).toEqual({ kind: "public" });
    },
  );

  it.each([
    ["no context", undefined],
    ["a null context", null],
    ["an empty context", {}],
    ["an unknown kind", { kind: "superuser" }],
    ["a non-string id", { ...encodeCaller(TENANT_CALLER), tenantId: 42 }],
  ])("treats %s as public", (_case, context) => {
    // Act
    const decoded = decodeCaller(context as Record<string, unknown> | null | undefined);

    // Assert
    expect(decoded).toEqual({ kind: "public" });
  });
});
