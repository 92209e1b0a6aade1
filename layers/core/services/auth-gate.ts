import type { Deps } from "../deps.js";
import { addGateAttempt, blockedUntilMs, clearGateAttempts, removeGateAttempts } from "../entities/login-gate.js";
import type { Key } from "../entities/table.js";
import type { TenantRecord } from "../entities/tenant.js";
import { DomainError } from "../errors.js";
import { keys } from "../keys.js";
import { DEFAULT_LOGIN_SECURITY, type LoginSecuritySettings } from "../schemas/security.js";
import {
  BlockedIpError,
  type ClientKind,
  countFailedLogin,
  isAllowlisted,
  loginSecuritySettings,
} from "./login-security.js";

/**
 * The one brute-force gate for every password check (web and Linkus logins; the SIP registrar
 * may call it the same way). Three counters, all in DynamoDB so every Lambda and every
 * listener task shares them, none of them cached:
 *
 * - the tenant's own rule (login security settings): failures per source IP, a block with the
 *   seed-000 "Blocked Out" event (services/login-security.ts);
 * - per source IP across the whole platform: platformIpLimit attempts in its window;
 * - per target (tenant + extension, or the name as typed when it names none): targetLimit
 *   attempts in its window.
 *
 * The last two are *admissions*: an attempt is counted atomically before the password is
 * checked, so however many requests race, no more than the limit get a password checked. A
 * success takes back only its own admission and clears only its own target: nobody else's
 * failures are forgotten. A server that names no tenant gets a realm of its own with the
 * default settings, so it counts and blocks exactly like a real one (no oracle).
 *
 * Use: `realm = await loginRealm(deps, tenant, server)`, `target = gateTarget(extension, typed)`;
 * `admission = await admitLogin(deps, { realm, target, ip, kind })` (throws a 429) before the
 * password; then `loginFailed(...)` (true: record "Blocked Out") or `loginSucceeded(...)`.
 */
export interface GateLimit {
  attempts: number;
  windowMinutes: number;
}

/** One IP address, whatever the PBX (default 30 in 10 minutes): wide enough for an office behind one address. */
export const platformIpLimit = (deps: Deps): GateLimit => ({ attempts: deps.config.gateIpAttempts, windowMinutes: 10 });
/** One user of one PBX, from anywhere (default 10 in 15 minutes; an allowlisted address still gets in). */
export const targetLimit = (deps: Deps): GateLimit => ({ attempts: deps.config.gateTargetAttempts, windowMinutes: 15 });

export type GateKind = ClientKind | "sip";

export interface LoginRealm {
  /** The tenant, when the server named one. */
  tenant?: TenantRecord;
  /** The tenant id, or `?<server>` for a server that names none. */
  key: string;
  settings: LoginSecuritySettings;
}

export interface LoginAttempt {
  realm: LoginRealm;
  /** Whose password is guessed: `gateTarget(extension, typed)`. */
  target: string;
  ip: string;
  kind: GateKind;
}

export interface Admission {
  /** False for an allowlisted address: nothing was counted. */
  counted: boolean;
  entry: string;
}

export class TooManyAttemptsError extends DomainError {
  override readonly name = "TooManyAttemptsError";

  constructor(retryAtMs: number, nowMs: number) {
    const retryAt = new Date(retryAtMs).toISOString();
    super(429, "too_many_attempts", `Too many failed logins; try again after ${retryAt}`, { retryAt });
    this.headers["retry-after"] = String(Math.max(1, Math.ceil((retryAtMs - nowMs) / 1000)));
  }
}

export async function loginRealm(deps: Deps, tenant: TenantRecord | undefined, server: string): Promise<LoginRealm> {
  if (tenant) return { tenant, key: tenant.id, settings: await loginSecuritySettings(deps, tenant.id) };
  return { key: `?${server.trim().toLowerCase().slice(0, 64)}`, settings: DEFAULT_LOGIN_SECURITY };
}

/**
 * The target of a guess: the extension when the name found one, so its email address, its
 * number and its SIP registration name share one count; otherwise the name as typed.
 */
export function gateTarget(extension: { id: string } | undefined, typed: string): string {
  return extension ? `EXT#${extension.id}` : `NAME#${typed.trim().toLowerCase().slice(0, 254)}`;
}

const ipCounter = (ip: string) => ({ PK: `GATE#IP#${ip}`, SK: "GATE" });
const targetCounter = (attempt: LoginAttempt) => ({
  PK: keys.tenant(attempt.realm.key).PK,
  SK: `GATE#TARGET#${attempt.target}`,
});

/**
 * Before the password: refuses a blocked IP (the tenant's block, 429 `ip_blocked`) and an IP or
 * target over its limit (429 `too_many_attempts`), and otherwise counts this attempt.
 */
export async function admitLogin(deps: Deps, attempt: LoginAttempt): Promise<Admission> {
  const now = deps.now().getTime();
  const entry = `${now}#${deps.newId()}`;
  if (!attempt.ip || isAllowlisted(attempt.realm.settings, attempt.ip)) return { counted: false, entry };
  const blockedUntil = await blockedUntilMs(deps, attempt.realm.key, attempt.ip);
  if (blockedUntil && blockedUntil > now) throw new BlockedIpError(blockedUntil, now);

  const counters = [
    { key: ipCounter(attempt.ip), limit: platformIpLimit(deps) },
    { key: targetCounter(attempt), limit: targetLimit(deps) },
  ];
  const seen = await Promise.all(counters.map(({ key, limit }) => admit(deps, key, limit, entry, now)));
  const over = seen.filter((counter) => counter.over);
  if (over.length > 0) {
    await Promise.all(counters.map(({ key }) => takeBack(deps, key, [entry])));
    const retryAtMs = Math.max(...over.map((s) => s.retryAtMs));
    throw new TooManyAttemptsError(retryAtMs, now);
  }
  return { counted: true, entry };
}

/**
 * After a wrong password (or an unknown user): the admissions stay as failures, and the
 * tenant's rule counts it. True when this failure blocked the IP: the caller records the
 * "Blocked Out" event (a known tenant only).
 */
export async function loginFailed(deps: Deps, attempt: LoginAttempt, admission: Admission): Promise<boolean> {
  if (!admission.counted) return false;
  // The tenant's rule knows two kinds; SIP counts with Linkus until it has its own (listener).
  const kind: ClientKind = attempt.kind === "sip" ? "linkus" : attempt.kind;
  return countFailedLogin(deps, attempt.realm.key, attempt.ip, kind, attempt.realm.settings);
}

/** After the right password: this attempt is taken back, and this user's own failures cleared. */
export async function loginSucceeded(deps: Deps, attempt: LoginAttempt, admission: Admission): Promise<void> {
  if (!admission.counted) return;
  await Promise.all([
    takeBack(deps, ipCounter(attempt.ip), [admission.entry]),
    clearGateAttempts(deps, targetCounter(attempt)),
  ]);
}

/** Adds one attempt to a counter (a string set of `<ms>#<id>`), returning the recent ones. */
async function admit(deps: Deps, key: Key, limit: GateLimit, entry: string, now: number) {
  const windowMs = limit.windowMinutes * 60_000;
  const all = await addGateAttempt(deps, key, entry, Math.ceil((now + windowMs) / 1000));
  const at = (e: string) => Number(e.split("#")[0]);
  const recent = all.filter((e) => at(e) > now - windowMs).sort();
  const stale = all.filter((e) => !recent.includes(e));
  if (stale.length > 0) await takeBack(deps, key, stale);
  // Allowed again once enough of the recent attempts have left the window.
  const oldestCounted = recent[Math.max(0, recent.length - limit.attempts - 1)] ?? entry;
  return { over: recent.length > limit.attempts, retryAtMs: at(oldestCounted) + windowMs };
}

async function takeBack(deps: Deps, key: Key, entries: string[]): Promise<void> {
  await removeGateAttempts(deps, key, entries);
}
