import type { Deps } from "../../layers/core/deps.js";
import { logger } from "../../layers/core/logger.js";
import { DEFAULT_LOGIN_SECURITY } from "../../layers/core/schemas/security.js";
import {
  admitLogin,
  gateTarget,
  type LoginRealm,
  loginFailed,
  loginSucceeded,
  TooManyAttemptsError,
} from "../../layers/core/services/auth-gate.js";
import { recordEvent } from "../../layers/core/services/events.js";
import { BlockedIpError, isAllowlisted } from "../../layers/core/services/login-security.js";
import type { Directory, ExtensionInfo, TenantInfo } from "../directory.js";
import type { Answer } from "./authenticator.js";

/** The realm a request names: a tenant of this platform (active or not), or a name that is none. */
export interface SipRealm {
  slug: string;
  tenant: TenantInfo | undefined;
}

export interface GateVerdict {
  /** Refused by a block or a limit: the same answer whether the password was right or not. */
  refused?: Answer;
}

const BLOCKED: Answer = { status: 403, reason: "Blocked by login security" };
const TOO_MANY: Answer = { status: 403, reason: "Too many failed attempts" };

/**
 * SIP digest checks through the platform's one brute-force gate (services/auth-gate.ts), the
 * same counters web and Linkus logins use, in DynamoDB and shared by every task: each attempt
 * is admitted (counted atomically) before its outcome is answered, so parallel guesses cannot
 * pass the limit, and a success takes back only its own attempt. Unknown domains and suspended
 * tenants count like wrong passwords under their own realm: the answers cannot tell them apart.
 *
 * The one shortcut: a request with the right password from a flow on which its extension has a
 * live binding (the phone refreshing or calling; after a task restart, a UDP phone from the
 * address it registered from) skips the round trips; its IP is checked against the
 * tenant's blocks as cached by directory version (a block applies within about a second). A
 * guesser cannot use it: a flow is the exact transport address or connection the device uses,
 * and a spoofed UDP source never sees the answer.
 */
export class SipGate {
  constructor(
    private readonly deps: Deps,
    private readonly directory: Directory,
  ) {}

  async knownDeviceBlocked(tenantId: string, ip: string): Promise<boolean> {
    const { settings, blocks } = await this.directory.loginSecurity(tenantId);
    const until = blocks.get(ip);
    return until !== undefined && until > Date.now() && !isAllowlisted(settings, ip);
  }

  /** Counts an attempt whose password was `passed`, and says whether a block or limit refuses it. */
  async check(
    realm: SipRealm,
    extension: ExtensionInfo | undefined,
    username: string,
    ip: string,
    passed: boolean,
  ): Promise<GateVerdict> {
    const loginRealm = await this.loginRealm(realm);
    const attempt = { realm: loginRealm, target: gateTarget(extension, username), ip, kind: "sip" as const };
    let admission: Awaited<ReturnType<typeof admitLogin>>;
    try {
      admission = await admitLogin(this.deps, attempt);
    } catch (error) {
      if (error instanceof BlockedIpError) return { refused: BLOCKED };
      if (error instanceof TooManyAttemptsError) return { refused: TOO_MANY };
      throw error;
    }
    if (passed) {
      await loginSucceeded(this.deps, attempt, admission);
      return {};
    }
    if ((await loginFailed(this.deps, attempt, admission)) && realm.tenant) await this.blockedOut(realm.tenant, ip);
    return {};
  }

  private async loginRealm(realm: SipRealm): Promise<LoginRealm> {
    if (!realm.tenant) return { key: `?${realm.slug.slice(0, 64)}`, settings: DEFAULT_LOGIN_SECURITY };
    return { key: realm.tenant.id, settings: (await this.directory.loginSecurity(realm.tenant.id)).settings };
  }

  /** Seed 000's "Linkus User Blocked Out", notified as the tenant's settings say (as for a Linkus login). */
  private async blockedOut(tenant: TenantInfo, ip: string): Promise<void> {
    const { settings } = await this.directory.loginSecurity(tenant.id);
    logger.warn("SIP authentication failures blocked an IP by login security", { tenantId: tenant.id, sourceIp: ip });
    await recordEvent(this.deps, tenant, {
      event: "linkus_user_blocked_out",
      sourceIp: ip,
      details: `${ip} blocked for ${settings.blockMinutes} minutes after ${settings.maxFailures} failed SIP registrations or calls within ${settings.windowMinutes} minutes`,
    }).catch((error: unknown) => logger.error("Blocked-out event not recorded", { error: error as Error }));
  }
}
