import { BlockList, isIP } from "node:net";
import type { Deps } from "../deps.js";
import { bumpDirectoryVersion } from "../entities/directory-version.js";
import {
  type ClientKind,
  clearLoginFailures,
  deleteLiveBlockedIp,
  getBlockedIp,
  getLoginSecuritySettings,
  listBlockedIpRecords,
  putBlockedIp,
  putLoginSecuritySettings,
  recordLoginFailure,
} from "../entities/login-security.js";
import { DomainError, NotFoundError } from "../errors.js";
import { DEFAULT_LOGIN_SECURITY, type LoginSecuritySettings } from "../schemas/security.js";

/**
 * Defence against password guessing, per tenant: failed logins are counted per source IP and
 * per client kind (web, linkus) in DynamoDB with atomic updates, so the count holds across
 * concurrent Lambda instances. Reaching the limit blocks the IP for every login to this PBX;
 * the block is one conditional write, so however many requests race past the limit, exactly
 * one of them blocks the IP and reports it.
 */
export type { ClientKind };

export class BlockedIpError extends DomainError {
  override readonly name = "BlockedIpError";

  constructor(blockedUntilMs: number, nowMs: number) {
    const blockedUntil = new Date(blockedUntilMs).toISOString();
    super(429, "ip_blocked", `Too many failed logins from this IP address; it is blocked until ${blockedUntil}`, {
      blockedUntil,
    });
    this.headers["retry-after"] = String(Math.max(1, Math.ceil((blockedUntilMs - nowMs) / 1000)));
  }
}

export async function loginSecuritySettings(deps: Deps, tenantId: string): Promise<LoginSecuritySettings> {
  const stored = await getLoginSecuritySettings(deps, tenantId);
  return {
    maxFailures: stored?.maxFailures ?? DEFAULT_LOGIN_SECURITY.maxFailures,
    windowMinutes: stored?.windowMinutes ?? DEFAULT_LOGIN_SECURITY.windowMinutes,
    blockMinutes: stored?.blockMinutes ?? DEFAULT_LOGIN_SECURITY.blockMinutes,
    allowlist: stored?.allowlist ?? DEFAULT_LOGIN_SECURITY.allowlist,
  };
}

export async function updateLoginSecuritySettings(
  deps: Deps,
  tenantId: string,
  patch: Partial<LoginSecuritySettings>,
): Promise<LoginSecuritySettings> {
  const next = { ...(await loginSecuritySettings(deps, tenantId)), ...patch };
  await putLoginSecuritySettings(deps, tenantId, next);
  await bumpDirectoryVersion(deps, tenantId); // listener tasks cache the settings by version
  return next;
}

export function isAllowlisted(settings: LoginSecuritySettings, ip: string): boolean {
  const family = isIP(ip);
  if (family === 0 || settings.allowlist.length === 0) return false;
  const list = new BlockList();
  for (const entry of settings.allowlist) {
    const [address = "", prefix] = entry.split("/");
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list.check(ip, family === 6 ? "ipv6" : "ipv4");
}

/** Refuses a blocked IP before anything else happens: not even the password is checked. */
export async function assertNotBlocked(deps: Deps, tenantId: string, ip: string, settings: LoginSecuritySettings) {
  if (!ip || isAllowlisted(settings, ip)) return;
  const block = await getBlockedIp(deps, tenantId, ip);
  const now = deps.now().getTime();
  if (block && block.blockedUntilMs > now) throw new BlockedIpError(block.blockedUntilMs, now);
}

/**
 * Counts one failed login. Returns true when this failure blocked the IP (the caller then
 * records the "blocked out" event); false otherwise, including when another request won.
 */
export async function countFailedLogin(
  deps: Deps,
  tenantId: string,
  ip: string,
  kind: ClientKind,
  settings: LoginSecuritySettings,
): Promise<boolean> {
  if (!ip || isAllowlisted(settings, ip)) return false;
  const now = deps.now().getTime();
  const recent = await recordLoginFailure(deps, tenantId, kind, ip, now, settings.windowMinutes * 60_000);
  if (recent.length < settings.maxFailures) return false;
  return block(deps, tenantId, ip, kind, settings, now);
}

async function block(
  deps: Deps,
  tenantId: string,
  ip: string,
  kind: ClientKind,
  settings: LoginSecuritySettings,
  now: number,
): Promise<boolean> {
  const until = now + settings.blockMinutes * 60_000;
  const blocked = await putBlockedIp(
    deps,
    tenantId,
    {
      ip,
      clientKind: kind,
      blockedAt: new Date(now).toISOString(),
      blockedUntil: new Date(until).toISOString(),
      blockedUntilMs: until,
    },
    now,
  );
  if (!blocked) return false;
  // Listener tasks hold the tenant's blocks by directory version: registered phones on this IP stop within a second.
  await Promise.all([clearLoginFailures(deps, tenantId, ip), bumpDirectoryVersion(deps, tenantId)]);
  return true;
}

export async function listBlockedIps(deps: Deps, tenantId: string) {
  const now = deps.now().getTime();
  const items = await listBlockedIpRecords(deps, tenantId, { liveAt: now });
  return {
    items: items.map(({ ip, clientKind, blockedAt, blockedUntil }) => ({ ip, clientKind, blockedAt, blockedUntil })),
  };
}

export async function unblockIp(deps: Deps, tenantId: string, ip: string): Promise<void> {
  await deleteLiveBlockedIp(deps, tenantId, ip, deps.now().getTime(), () => new NotFoundError("Blocked IP"));
  await Promise.all([clearLoginFailures(deps, tenantId, ip), bumpDirectoryVersion(deps, tenantId)]);
}
