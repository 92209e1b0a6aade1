import { logger } from "../../layers/core/logger.js";
import { linkusSessionOf, linkusSipPassword } from "../../layers/core/sip/linkus-credentials.js";
import type { Directory, ExtensionInfo, TenantInfo } from "../directory.js";
import { formatDigestChallenge, parseDigestCredentials } from "../sip/auth-fields.js";
import type { SipRequest } from "../sip/message.js";
import { parseUri } from "../sip/uri.js";
import type { Flow } from "../transport/flow.js";
import {
  challenges,
  type DigestAlgorithm,
  digestResponse,
  type NonceManager,
  normalizeAlgorithm,
  responseMatches,
} from "./digest.js";
import type { SipGate, SipRealm } from "./gate.js";
import type { FailureLimiter } from "./limiter.js";

/** A final answer the caller of a layer sends (the layer itself never touches a socket). */
export interface Answer {
  status: number;
  reason: string;
  headers?: [string, string][];
  /** The To tag of a response that creates a dialog (default: a fresh one). */
  toTag?: string;
}

export type Identity =
  | { extension: ExtensionInfo; kind: "phone" }
  | { extension: ExtensionInfo; kind: "linkus"; sessionId: string };

export type AuthOutcome = { identity: Identity; tenant: TenantInfo } | { answer: Answer };

export interface AuthenticatorOptions {
  directory: Directory;
  nonces: NonceManager;
  limiter: FailureLimiter;
  /** The shared brute-force gate (gate.ts); every attempt but a known device's goes through it. */
  gate: SipGate;
  /** The challenges offered when the tenant has not chosen its own. */
  defaultAlgorithms: readonly DigestAlgorithm[];
  /** Whether a URI names this listener itself (no user part). */
  isOwnAddress: (uri: string) => boolean;
  /** Whether the extension has a live binding on exactly this flow (the device itself). */
  isKnownDevice: (extension: ExtensionInfo, flow: Flow) => Promise<boolean>;
  /** Linkus session SIP passwords are derived from this key. */
  tokenKey: () => Promise<Buffer>;
  /** A request on this flow authenticated (a TCP connection then earns the longer idle limit). */
  onAuthenticated?: (flow: Flow) => void;
}

/**
 * Digest authentication of REGISTER (401) and of proxied requests (407), RFC 3261 §22 and RFC
 * 8760, for the realm named by the Request-URI's host. A domain that names no active tenant is
 * challenged and refused like a wrong password (no "404 Domain not served here" oracle); every
 * attempt goes through the shared gate before it is answered (gate.ts).
 */
export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  async authenticate(request: SipRequest, source: Flow): Promise<AuthOutcome> {
    let slug: string;
    try {
      slug = parseUri(request.uri, { allowHeaders: false }).host.toLowerCase();
    } catch {
      return { answer: { status: 416, reason: "Unsupported URI Scheme" } };
    }
    const sourceIp = source.address;
    const { limiter } = this.options;
    if (limiter.blocked(sourceIp)) return { answer: { status: 403, reason: "Too many failed attempts" } };
    const tenant = await this.options.directory.tenantBySlug(slug);
    const realm: SipRealm = { slug, tenant };
    const offered = tenant?.digestAlgorithms ?? this.options.defaultAlgorithms;
    const proxy = request.method !== "REGISTER";
    const challenge = (stale: boolean): AuthOutcome => {
      const headerName = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
      const fresh = challenges(this.options.nonces, slug, stale, offered);
      return {
        answer: {
          status: proxy ? 407 : 401,
          reason: proxy ? "Proxy Authentication Required" : "Unauthorized",
          headers: fresh.map((c) => [headerName, formatDigestChallenge(c)]),
        },
      };
    };
    const header = request.headers
      .getAll(proxy ? "Proxy-Authorization" : "Authorization")
      .find((value) => realmOf(value) === slug);
    if (!header) return challenge(false);
    let credentials: ReturnType<typeof parseDigestCredentials>;
    try {
      credentials = parseDigestCredentials(header);
    } catch {
      return { answer: { status: 400, reason: "Malformed credentials" } };
    }
    const algorithm = normalizeAlgorithm(credentials.algorithm);
    if (!algorithm || !offered.includes(algorithm) || credentials.qop !== "auth" || credentials.userhash) {
      return challenge(false);
    }
    // RFC 7616 §3.4.6: the digest covers `uri`; one that names another target was not computed
    // for this request (a captured answer replayed against another Request-URI). Some clients
    // (sipp) put the address they sent to, which is this proxy's own: that names no other target.
    if (!sameRequestUri(credentials.uri, request.uri) && !this.options.isOwnAddress(credentials.uri)) {
      return { answer: { status: 400, reason: "Digest uri does not match the Request-URI" } };
    }
    const nonceState = this.options.nonces.check(credentials.nonce, slug);
    if (nonceState === "invalid") return challenge(false);

    const identity = tenant?.active ? await this.identify(tenant, credentials.username) : undefined;
    const password = identity && tenant ? await this.passwordOf(tenant, identity) : undefined;
    const expected =
      password === undefined ? undefined : digestResponse(algorithm, credentials, request.method, password);
    const passed = expected !== undefined && responseMatches(expected, credentials.response);

    if (passed && identity && tenant && (await this.options.isKnownDevice(identity.extension, source))) {
      if (await this.options.gate.knownDeviceBlocked(tenant.id, sourceIp)) {
        return { answer: { status: 403, reason: "Blocked by login security" } };
      }
    } else {
      const verdict = await this.options.gate.check(realm, identity?.extension, credentials.username, sourceIp, passed);
      if (verdict.refused) return { answer: verdict.refused };
    }
    if (!passed || !identity || !tenant) {
      // No reset of the IP's count on any success: another identity's success (a second tenant's
      // phone behind the same NAT, or the attacker's own account) must not wipe a guesser's record.
      if (limiter.fail(sourceIp)) {
        logger.warn("SIP authentication failures: IP blocked", { sourceIp, tenantId: tenant?.id });
        return { answer: { status: 403, reason: "Too many failed attempts" } };
      }
      return challenge(false);
    }
    if (nonceState === "stale" || !this.options.nonces.accept(credentials.nonce, credentials.nc)) {
      return challenge(true);
    }
    this.options.onAuthenticated?.(source);
    return { identity, tenant };
  }

  private async identify(tenant: TenantInfo, username: string): Promise<Identity | undefined> {
    const sessionId = linkusSessionOf(username);
    if (sessionId !== undefined) {
      const extension = await this.options.directory.liveSession(tenant.id, sessionId);
      return extension ? { extension, kind: "linkus", sessionId } : undefined;
    }
    const extension = await this.options.directory.extensionByRegistrationName(tenant.id, username);
    return extension ? { extension, kind: "phone" } : undefined;
  }

  private async passwordOf(tenant: TenantInfo, identity: Identity): Promise<string> {
    if (identity.kind === "phone") return identity.extension.password;
    return linkusSipPassword(await this.options.tokenKey(), tenant.id, identity.sessionId);
  }
}

function realmOf(value: string): string | undefined {
  return /realm\s*=\s*"?([^",]*)"?/i.exec(value)?.[1]?.toLowerCase();
}

/** Equal as RFC 3261 §19.1.4 compares URIs, for what a digest `uri` and a Request-URI can differ in. */
function sameRequestUri(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  try {
    const a = parseUri(digestUri);
    const b = parseUri(requestUri);
    return a.scheme === b.scheme && a.user === b.user && a.host === b.host && (a.port ?? 5060) === (b.port ?? 5060);
  } catch {
    return false;
  }
}
