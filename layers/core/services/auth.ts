import type * as z from "zod";
import { hashPassword, verifyPassword } from "../auth/password.js";
import { verifyAccessToken } from "../auth/token.js";
import type { Deps } from "../deps.js";
import { bumpDirectoryVersion } from "../entities/directory-version.js";
import {
  type ExtensionRecord,
  extensionIdByUnique,
  getExtensionRecord,
  replacePasswordHash,
  requireExtensionRecord,
} from "../entities/extension.js";
import { principalRecords } from "../entities/principal.js";
import type { TenantRecord } from "../entities/tenant.js";
import { ForbiddenError, UnauthorizedError, ValidationError } from "../errors.js";
import type { EventType } from "../events/catalog.js";
import { logger } from "../logger.js";
import type { Permission } from "../permissions.js";
import type { Client, loginBody } from "../schemas/auth.js";
import { iceServersFor } from "../sip/ice-servers.js";
import { linkusSipCredentials } from "../sip/linkus-credentials.js";
import { admitLogin, gateTarget, type LoginAttempt, loginFailed, loginRealm, loginSucceeded } from "./auth-gate.js";
import type { TenantCaller } from "./caller.js";
import { recordEvent } from "./events.js";
import { effectivePermissions } from "./linkus-permissions.js";
import type { ClientKind } from "./login-security.js";
import { consumeQuickLoginToken } from "./quick-login.js";
import { assertCanAssignRole, permissionsFor, resolveRole } from "./roles.js";
import { carrySessionOver, getSession, revokeSession, sessionIsLive, startSession } from "./sessions.js";
import { findTenantBySlug } from "./tenants.js";

/** One answer for every wrong server, user or password: nothing tells them apart. */
const BAD_LOGIN = "The server, email or password is incorrect";
const SUSPENDED = "This PBX is suspended; contact your service provider";

export interface RequestOrigin {
  sourceIp: string;
}

const kindOf = (client: Client): ClientKind => (client === "web" ? "web" : "linkus");

const FAILED_EVENT: Record<ClientKind, EventType> = {
  web: "web_user_login_failed",
  linkus: "linkus_client_login_failed",
};
const BLOCKED_EVENT: Record<ClientKind, EventType> = {
  web: "web_user_blocked_out",
  linkus: "linkus_user_blocked_out",
};

/**
 * Every failed login answers no sooner than this after it arrived: the work behind a failure
 * differs (a known tenant records an event and counts more), and the answer must not tell an
 * unknown server or user from a wrong password by its timing. Above the slowest failure path.
 */
export const FAILED_LOGIN_MIN_MS = 400;

export async function login(deps: Deps, input: z.output<typeof loginBody>, origin: RequestOrigin) {
  const started = performance.now();
  const kind = kindOf(input.client);
  const tenant = await findTenantBySlug(deps, input.server);
  const user = input.email ?? input.extension ?? "";
  const extension = tenant ? await findExtension(deps, tenant.id, input) : undefined;
  const attempt: LoginAttempt = {
    realm: await loginRealm(deps, tenant, input.server),
    target: gateTarget(extension, user),
    ip: origin.sourceIp,
    kind,
  };
  // Before the password, for known and unknown servers alike: blocks and limits apply to both.
  const admission = await admitLogin(deps, attempt);

  // Always one full scrypt check, so an unknown server or user takes as long as a wrong password.
  const passwordOk = await verifyPassword(input.password, extension?.passwordHash);
  if (!tenant || !extension || !passwordOk) {
    const blocked = await loginFailed(deps, attempt, admission);
    if (tenant) {
      await recordEvent(deps, tenant, {
        event: FAILED_EVENT[kind],
        extension,
        sourceIp: origin.sourceIp,
        client: input.client,
        details: extension ? `Wrong password for ${user}` : `Unknown user ${user}`,
      });
      if (blocked) {
        const { settings } = attempt.realm;
        await recordEvent(deps, tenant, {
          event: BLOCKED_EVENT[kind],
          sourceIp: origin.sourceIp,
          client: input.client,
          details: `${origin.sourceIp} blocked for ${settings.blockMinutes} minutes after ${settings.maxFailures} failed logins within ${settings.windowMinutes} minutes`,
        });
      }
    }
    await waitUntil(started + FAILED_LOGIN_MIN_MS);
    throw new UnauthorizedError(BAD_LOGIN);
  }
  // Only someone who knows the password learns that the PBX is suspended.
  if (tenant.status !== "active") throw new ForbiddenError(SUSPENDED, { reason: "tenant_suspended" });

  await loginSucceeded(deps, attempt, admission);
  const { sessionId, ...tokens } = await startSession(deps, tenant, extension, input.client);
  if (kind === "web") {
    await recordEvent(deps, tenant, {
      event: "web_user_login_success",
      extension,
      sourceIp: origin.sourceIp,
      client: input.client,
      details: `${extension.number} logged in to the Web Client`,
    });
  }
  return {
    ...tokens,
    ...(await principalOf(deps, tenant, extension)),
    ...(await linkusSip(deps, tenant, sessionId, input.client)),
  };
}

async function waitUntil(at: number): Promise<void> {
  const wait = at - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/**
 * Every Linkus client gets SIP credentials tied to this session (docs/listener.md), the Web
 * Client too: its softphone registers over WebSocket with them (they take no phone slot).
 */
async function linkusSip(deps: Deps, tenant: TenantRecord, sessionId: string, _client: Client) {
  const { tokenKey } = await deps.keys();
  const { publicSipHost, publicSipPort, publicSipTransports, publicLinkusUrl } = deps.config;
  const server = {
    host: publicSipHost,
    port: publicSipPort,
    transports: publicSipTransports,
    websocket: `${publicLinkusUrl.replace(/\/+$/, "")}/sip`,
  };
  const iceServers = iceServersFor(deps.config.ice, `${tenant.id}:${sessionId}`, Date.now());
  return { sip: { ...linkusSipCredentials(tokenKey, tenant.id, tenant.slug, sessionId, server), iceServers } };
}

async function findExtension(deps: Deps, tenantId: string, input: { email?: string; extension?: string }) {
  const extensionId = input.email
    ? await extensionIdByUnique(deps, tenantId, "email", input.email.trim(), false)
    : await extensionIdByUnique(deps, tenantId, "number", input.extension ?? "", false);
  return extensionId ? getExtensionRecord(deps, tenantId, extensionId, false) : undefined;
}

/** Exchanges a quick login token from a welcome email for a session; the token works once. */
export async function quickLogin(deps: Deps, input: { token: string; client: Client }, origin: RequestOrigin) {
  const { tenant, extension } = await consumeQuickLoginToken(deps, input.token);
  if (tenant.status !== "active") throw new ForbiddenError(SUSPENDED, { reason: "tenant_suspended" });
  const { sessionId, ...tokens } = await startSession(deps, tenant, extension, input.client);
  if (input.client === "web") {
    await recordEvent(deps, tenant, {
      event: "web_user_login_success",
      extension,
      sourceIp: origin.sourceIp,
      client: input.client,
      details: `${extension.number} logged in to the Web Client by quick login`,
    });
  }
  return {
    ...tokens,
    ...(await principalOf(deps, tenant, extension)),
    ...(await linkusSip(deps, tenant, sessionId, input.client)),
  };
}

export async function logout(deps: Deps, caller: TenantCaller): Promise<void> {
  await revokeSession(deps, caller.tenantId, caller.sessionId, "logout");
}

/** Who the caller is and what they may do: role permissions, Linkus menus and operations, directory access. */
export async function principalOf(deps: Deps, tenant: TenantRecord, extension: ExtensionRecord) {
  return {
    tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
    extension: { id: extension.id, number: extension.number, email: extension.email, role: extension.role },
    ...(await effectivePermissions(deps, tenant.id, extension)),
  };
}

export type AuthorizationResult =
  | { outcome: "allow"; caller: TenantCaller }
  | { outcome: "unauthorized" }
  | { outcome: "deny"; reason: string };

/**
 * Checks a bearer token and the current state behind it: the tenant must exist and be active,
 * the extension must exist with the same credentials, the session must be live. The role
 * comes from the stored extension, not the token, so a role change applies at once.
 */
export async function authorizeAccessToken(deps: Deps, token: string): Promise<AuthorizationResult> {
  const { tokenKey } = await deps.keys();
  const claims = verifyAccessToken(token, tokenKey, deps.now().getTime());
  if (!claims) return { outcome: "unauthorized" };
  const { tenant, extension, session } = await principalRecords(deps, claims.tid, claims.sub, claims.sid);
  if (!tenant || tenant.deleting || !extension || extension.credentialVersion !== claims.cv) {
    return { outcome: "unauthorized" };
  }
  if (!sessionIsLive(session, extension, deps.now().getTime())) return { outcome: "unauthorized" };
  if (tenant.status !== "active") return { outcome: "deny", reason: SUSPENDED };
  return {
    outcome: "allow",
    caller: {
      kind: "tenant",
      tenantId: tenant.id,
      tenantSlug: tenant.slug,
      extensionId: extension.id,
      sessionId: claims.sid,
      role: extension.role,
      permissions: new Set<Permission>(await permissionsFor(deps, tenant.id, extension.role)),
    },
  };
}

export async function currentPrincipal(deps: Deps, caller: TenantCaller) {
  const { tenant, extension } = await loadCaller(deps, caller);
  return principalOf(deps, tenant, extension);
}

async function loadCaller(deps: Deps, caller: TenantCaller) {
  const { tenant, extension } = await principalRecords(deps, caller.tenantId, caller.extensionId);
  if (!tenant || !extension) throw new UnauthorizedError();
  return { tenant, extension };
}

/**
 * Stores a new password hash and bumps the credential version, which ends every session and
 * access token issued under the old password.
 */
async function replacePassword(deps: Deps, extension: ExtensionRecord, newPassword: string): Promise<ExtensionRecord> {
  const passwordHash = await hashPassword(newPassword);
  const updated = await replacePasswordHash(deps, extension, passwordHash, deps.now().toISOString());
  if (!updated) {
    throw new ValidationError([
      { in: "body", field: "newPassword", message: "the password was changed meanwhile; try again" },
    ]);
  }
  // Linkus clients' SIP credentials die with their sessions: the listener must look again.
  await bumpDirectoryVersion(deps, extension.tenantId);
  return updated;
}

/** The user changes their own password: the old one is required; this session stays, others end. */
export async function changeOwnPassword(
  deps: Deps,
  caller: TenantCaller,
  input: { currentPassword: string; newPassword: string },
  origin: RequestOrigin,
) {
  const { tenant, extension } = await loadCaller(deps, caller);
  // A stolen access token must not become a way to guess the password: the same gate as logins.
  const attempt: LoginAttempt = {
    realm: await loginRealm(deps, tenant, tenant.slug),
    target: gateTarget(extension, ""),
    ip: origin.sourceIp,
    kind: "web",
  };
  const admission = await admitLogin(deps, attempt);
  if (!(await verifyPassword(input.currentPassword, extension.passwordHash))) {
    await loginFailed(deps, attempt, admission);
    throw ValidationError.one("currentPassword", "is not your current password");
  }
  await loginSucceeded(deps, attempt, admission);
  const updated = await replacePassword(deps, extension, input.newPassword);
  const tokens = await carrySessionOver(deps, caller.tenantId, caller.sessionId, updated);
  if (!tokens) throw new UnauthorizedError();
  await recordEvent(deps, tenant, {
    event: "extension_user_password_changed",
    extension: updated,
    sourceIp: origin.sourceIp,
    client: (await getSession(deps, caller.tenantId, caller.sessionId))?.client,
    details: `${updated.number} changed their own password; their other sessions were ended`,
  });
  return tokens;
}

/** An administrator sets a user's password: every session of that user ends. */
export async function setExtensionPassword(
  deps: Deps,
  caller: TenantCaller,
  extensionId: string,
  newPassword: string,
  origin: RequestOrigin,
): Promise<void> {
  const { tenant, extension: admin } = await loadCaller(deps, caller);
  const extension = await requireExtensionRecord(deps, caller.tenantId, extensionId);
  // Taking over an account is at least as strong as giving it a role: same rule.
  assertCanAssignRole(
    caller,
    (await resolveRole(deps, caller.tenantId, extension.role)) ?? { id: "", name: "", permissions: [] },
  );
  const updated = await replacePassword(deps, extension, newPassword);
  logger.info("user password set by an administrator", { extensionId, by: admin.id });
  await recordEvent(deps, tenant, {
    event: "extension_user_password_changed",
    extension: updated,
    sourceIp: origin.sourceIp,
    details: `${updated.number}'s password was set by administrator ${admin.number}; all of their sessions were ended`,
  });
}
