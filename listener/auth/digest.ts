import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { BoundedMap } from "../../layers/core/util/bounded-map.js";
import type { DigestChallenge, DigestCredentials } from "../sip/auth-fields.js";
import { randomToken } from "../sip/random.js";

/**
 * Digest authentication (RFC 3261 §22.4, RFC 8760 for SHA-256) with stateless server nonces.
 *
 * A nonce is `<issued ms, hex>.<task id>.<random>.<HMAC>`: any task can check that it was
 * issued by this deployment for this realm and is not older than its lifetime (else the
 * client gets `stale=true` and retries without asking its user). Replay protection is the
 * nonce count: each task remembers the highest `nc` accepted per nonce it issued, for the
 * nonce's lifetime; a nonce issued by another task (the load balancer moved the flow) is
 * answered with a fresh stale challenge rather than trusted without its count history.
 */
export type DigestAlgorithm = "MD5" | "SHA-256";
export const ALGORITHMS: readonly DigestAlgorithm[] = ["MD5", "SHA-256"];

export interface NonceOptions {
  key: Buffer;
  taskId: string;
  lifetimeMs: number;
  now?: () => number;
  /** Nonce counts remembered at most (oldest forgotten first: their nonces then go stale). */
  maxTracked?: number;
}

export type NonceCheck = "ok" | "stale" | "invalid";

export class NonceManager {
  private readonly counts: BoundedMap<string, { nc: number; until: number }>;
  private readonly now: () => number;

  constructor(private readonly options: NonceOptions) {
    this.now = options.now ?? Date.now;
    this.counts = new BoundedMap(options.maxTracked ?? 200_000);
  }

  issue(realm: string): string {
    const body = `${this.now().toString(16)}.${this.options.taskId}.${randomToken(9, "base64url")}`;
    return `${body}.${this.mac(body, realm)}`;
  }

  /** Whether the nonce is ours and fresh; does not consume anything (see `accept`). */
  check(nonce: string, realm: string): NonceCheck {
    const last = nonce.lastIndexOf(".");
    if (last < 0 || nonce.length > 200) return "invalid";
    const body = nonce.slice(0, last);
    const expected = Buffer.from(this.mac(body, realm));
    const given = Buffer.from(nonce.slice(last + 1));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return "invalid";
    const [issuedHex, taskId] = body.split(".");
    const issued = Number.parseInt(issuedHex ?? "", 16);
    if (!Number.isFinite(issued) || this.now() - issued > this.options.lifetimeMs || issued > this.now() + 5_000) {
      return "stale";
    }
    return taskId === this.options.taskId ? "ok" : "stale";
  }

  /** Records a nonce count; false when it was used before (a replay). */
  accept(nonce: string, ncHex: string | undefined): boolean {
    const nc = ncHex === undefined ? 0 : Number.parseInt(ncHex, 16);
    const now = this.now();
    const seen = this.counts.get(nonce);
    if (seen && seen.until > now && nc <= seen.nc) return false;
    if (!seen && ncHex === undefined) {
      // Without qop there is no count: such a nonce works once.
    }
    this.counts.set(nonce, {
      nc: ncHex === undefined ? Number.MAX_SAFE_INTEGER : nc,
      until: now + this.options.lifetimeMs,
    });
    return true;
  }

  prune(): void {
    const now = this.now();
    for (const [nonce, entry] of this.counts) if (entry.until <= now) this.counts.delete(nonce);
  }

  get tracked(): number {
    return this.counts.size;
  }

  private mac(body: string, realm: string): string {
    return createHmac("sha256", this.options.key).update(`${body}|${realm}`).digest("base64url").slice(0, 22);
  }
}

function hash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === "MD5" ? "md5" : "sha256")
    .update(text, "utf8")
    .digest("hex");
}

export function normalizeAlgorithm(value: string): DigestAlgorithm | undefined {
  const upper = value.toUpperCase();
  return upper === "MD5" ? "MD5" : upper === "SHA-256" ? "SHA-256" : undefined;
}

/** The expected `response` for credentials and a password (qop=auth or none). */
export function digestResponse(
  algorithm: DigestAlgorithm,
  credentials: Pick<DigestCredentials, "username" | "realm" | "nonce" | "uri" | "qop" | "nc" | "cnonce">,
  method: string,
  password: string,
): string {
  const ha1 = hash(algorithm, `${credentials.username}:${credentials.realm}:${password}`);
  const ha2 = hash(algorithm, `${method}:${credentials.uri}`);
  if (credentials.qop === undefined) return hash(algorithm, `${ha1}:${credentials.nonce}:${ha2}`);
  return hash(
    algorithm,
    `${ha1}:${credentials.nonce}:${credentials.nc ?? ""}:${credentials.cnonce ?? ""}:${credentials.qop}:${ha2}`,
  );
}

export function responseMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * One challenge per algorithm, in the order given (RFC 8760 §2.4: the preferred first). The
 * default is MD5 alone: sipp and many phones answer only the first challenge, and baresip 1.x
 * (libre) gives up when a second follows.
 */
export function challenges(
  nonces: NonceManager,
  realm: string,
  stale: boolean,
  algorithms: readonly DigestAlgorithm[] = ["MD5"],
): DigestChallenge[] {
  return algorithms.map((algorithm) => ({
    realm,
    nonce: nonces.issue(realm),
    algorithm,
    qop: ["auth"],
    ...(stale ? { stale: true } : {}),
  }));
}
