import { createHmac } from "node:crypto";

/**
 * SIP credentials of a Linkus client, tied to its login session (docs/listener.md).
 *
 * The username is `linkus*<sessionId>`: `*` never occurs in a registration name (which allows
 * only letters, digits and `. _ ~ -`), so the two namespaces cannot collide, and `*` is legal in
 * a SIP URI user part and a digest username. The password is an HMAC of the session id under
 * the access-token key, so nothing new is stored: the login answer computes it, the listener
 * recomputes it, and a logout or password change (which ends the session) retires it.
 */
export const LINKUS_SIP_PREFIX = "linkus*";

export function linkusSipUsername(sessionId: string): string {
  return `${LINKUS_SIP_PREFIX}${sessionId}`;
}

export function linkusSipPassword(tokenKey: Buffer, tenantId: string, sessionId: string): string {
  return createHmac("sha256", tokenKey).update(`linkus-sip:${tenantId}:${sessionId}`).digest("base64url").slice(0, 32);
}

/** The session id of a Linkus SIP username, or undefined for an IP phone's registration name. */
export function linkusSessionOf(username: string): string | undefined {
  if (!username.startsWith(LINKUS_SIP_PREFIX)) return undefined;
  const id = username.slice(LINKUS_SIP_PREFIX.length);
  return /^[0-9A-Za-z]{1,64}$/.test(id) ? id : undefined;
}

/** Where a Linkus client registers: the listener's public address (the load balancer's). */
export interface SipServer {
  host: string;
  port: number;
  transports: ("udp" | "tcp" | "tls")[];
  /** SIP over WebSocket (RFC 7118) for the Web Client's softphone: the Linkus port's `/sip` path. */
  websocket: string;
}

/** What the login answer adds for a Linkus client: everything it needs to register. */
export function linkusSipCredentials(
  tokenKey: Buffer,
  tenantId: string,
  tenantSlug: string,
  sessionId: string,
  server: SipServer,
) {
  return {
    domain: tenantSlug,
    username: linkusSipUsername(sessionId),
    password: linkusSipPassword(tokenKey, tenantId, sessionId),
    proxy: { host: server.host, port: server.port },
    transports: server.transports,
    websocket: server.websocket,
  };
}
