import { randomBytes } from "node:crypto";
import type { Deps } from "../layers/core/deps.js";
import { logger } from "../layers/core/logger.js";
import { writeRecord } from "../layers/core/services/communications.js";
import {
  assertNotBlocked,
  BlockedIpError,
  countFailedLogin,
  loginSecuritySettings,
} from "../layers/core/services/login-security.js";
import { linkusSessionOf, linkusSipPassword } from "../layers/core/sip/linkus-credentials.js";
import type { Binding, BindingStore, Flow, Transport } from "./bindings.js";
import { challenges, digestResponse, type NonceManager, normalizeAlgorithm, responseMatches } from "./digest.js";
import type { Directory, ExtensionInfo, TenantInfo } from "./directory.js";
import type { ListenerEvents } from "./events.js";
import type { FailureLimiter } from "./limiter.js";
import { SipParseError } from "./sip/errors.js";
import {
  formatDigestChallenge,
  formatVia,
  parseCSeq,
  parseDigestCredentials,
  parseExpires,
  parseMaxForwards,
  parseNameAddr,
  parseVia,
} from "./sip/headers.js";
import {
  isSipRequest,
  parseMessage,
  SipHeaders,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  validateRequest,
} from "./sip/message.js";
import { buildResponse, serializeMessage } from "./sip/serialize.js";
import { parseUri } from "./sip/uri.js";
import type { SipTransport, StreamEvent } from "./transport.js";

/**
 * The registrar and the stateful forking proxy (docs/listener.md). One instance per task; all
 * lasting state (registrations) is in DynamoDB, transactions and dialogs of the calls this task
 * carries are in memory.
 */
export interface SipServiceOptions {
  deps: Deps;
  directory: Directory;
  bindings: BindingStore;
  nonces: NonceManager;
  limiter: FailureLimiter;
  events: ListenerEvents;
  taskId: string;
  /** Host written into Via and Record-Route (the load balancer's name or address in AWS). */
  advertisedHost: string;
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  /** Ringing longer than this ends the attempt (CANCEL to the branches, 480 upstream). */
  noAnswerMs: number;
  /** Feed failed registrations to the tenant's login-security blocked-IP list (kind "linkus"). */
  feedLoginSecurity: boolean;
}

const BRANCH_PREFIX = "z9hG4bK-cp";
const T1 = 500;
const TIMER_B = 32_000;
/** How long a UDP non-INVITE server transaction stays to answer retransmissions (Timer J, 64·T1). */
const TIMER_J = 64 * T1;
/** Completed REGISTER transactions kept at most: a flood of distinct branches cannot grow memory. */
const MAX_COMPLETED_REGISTERS = 50_000;
const LIMIT_REASON = "Concurrent registration limit reached";

type Identity =
  | { extension: ExtensionInfo; kind: "phone" }
  | { extension: ExtensionInfo; kind: "linkus"; sessionId: string };

interface ClientBranch {
  id: string;
  request: SipRequest;
  flow: Flow;
  binding: Binding;
  provisional: boolean;
  final: number | undefined;
  retransmit: NodeJS.Timeout | undefined;
  timeout: NodeJS.Timeout | undefined;
}

interface InviteTx {
  key: string;
  request: SipRequest;
  source: Flow;
  tenantId: string;
  caller: ExtensionInfo;
  callee: ExtensionInfo;
  callId: string;
  branches: ClientBranch[];
  startedAt: Date;
  finalSent: boolean;
  answered: boolean;
  cancelled: boolean;
  best: SipResponse | undefined;
  lastUpstream: Buffer | undefined;
  noAnswer: NodeJS.Timeout | undefined;
}

interface Dialog {
  tenantId: string;
  caller: ExtensionInfo;
  callee: ExtensionInfo;
  startedAt: Date;
  answeredAt: Date;
}

export class SipService {
  transport: SipTransport | undefined;
  private readonly serverTx = new Map<string, InviteTx>();
  private readonly clientTx = new Map<string, { tx: InviteTx; branch: ClientBranch }>();
  private readonly dialogs = new Map<string, Dialog>();
  /** Contact host:port → the flow it registered from, for in-dialog requests to NATed phones. */
  private readonly contactFlows = new Map<string, Flow>();
  /**
   * UDP REGISTER server transactions by source and branch (RFC 3261 §17.2.2): `null` while being
   * handled (retransmissions are absorbed), then the final response, sent again to a
   * retransmission until Timer J expires. Insertion order is expiry order.
   */
  private readonly registerTx = new Map<string, { response: Buffer; until: number } | null>();
  private inFlight = 0;
  stats = { received: 0, malformed: 0, registers: 0, invites: 0 };

  constructor(private readonly options: SipServiceOptions) {}

  /** Calls in progress on this task, per tenant and extension (presence "on a call"). */
  activeCalls(tenantId: string): Set<string> {
    const out = new Set<string>();
    for (const tx of this.serverTx.values()) {
      if (tx.tenantId === tenantId && !tx.finalSent) out.add(tx.caller.id).add(tx.callee.id);
    }
    for (const dialog of this.dialogs.values()) {
      if (dialog.tenantId === tenantId) out.add(dialog.caller.id).add(dialog.callee.id);
    }
    return out;
  }

  get busy(): number {
    return this.inFlight + this.serverTx.size;
  }

  // -------------------------------------------------------------------------------------------
  // Entry points

  onDatagram(data: Buffer, flow: Flow): void {
    try {
      this.datagram(data, flow);
    } catch (error) {
      logger.error("SIP datagram handling failed", { error: error as Error });
    }
  }

  private datagram(data: Buffer, flow: Flow): void {
    this.stats.received++;
    if (data.length <= 4 && data.toString("latin1").trim() === "") return; // CRLF keep-alive
    let message: SipMessage;
    try {
      message = parseMessage(data);
    } catch (error) {
      this.stats.malformed++;
      if (error instanceof SipParseError && error.isRequest && error.request) {
        this.sendRaw(flow, serializeMessage(buildResponse(error.request, error.status, error.reason)));
      }
      return;
    }
    this.handle(message, flow);
  }

  onStreamEvent(event: StreamEvent, flow: Flow): void {
    try {
      this.streamEvent(event, flow);
    } catch (error) {
      logger.error("SIP stream message handling failed", { error: error as Error });
    }
  }

  private streamEvent(event: StreamEvent, flow: Flow): void {
    this.stats.received++;
    if (event.type === "message") {
      this.handle(event.message, flow);
      return;
    }
    this.stats.malformed++;
    const { error } = event;
    if (error.isRequest && error.request) {
      this.sendRaw(flow, serializeMessage(buildResponse(error.request, error.status, error.reason)));
    }
  }

  private handle(message: SipMessage, flow: Flow): void {
    this.inFlight++;
    const work = isSipRequest(message) ? this.onRequest(message, flow) : this.onResponse(message);
    work
      .catch((error: unknown) => {
        logger.error("SIP message handling failed", { error: error as Error });
        if (isSipRequest(message) && message.method !== "ACK") this.reply(message, flow, 500, "Server Internal Error");
      })
      .finally(() => {
        this.inFlight--;
      });
  }

  private async onRequest(request: SipRequest, flow: Flow): Promise<void> {
    const problems = validateRequest(request);
    if (problems.length > 0) {
      this.stats.malformed++;
      if (request.method !== "ACK") this.reply(request, flow, 400, problems[0] ?? "Bad Request");
      return;
    }
    request = stampVia(request, flow);
    const routedToUs = this.stripOwnRoute(request);
    request = routedToUs.request;
    const toTag = tagOf(request.headers.get("To"));
    switch (request.method) {
      case "REGISTER": {
        this.stats.registers++;
        // A UDP retransmission is not a new REGISTER: handling it again would repeat the writes,
        // and its reused nonce count would get a stale 401 that can overtake the 200. One still
        // being handled (storage slower than T1) is absorbed; one after the answer gets the
        // answer again.
        const key = flow.transport === "udp" ? registerTxKey(request, flow) : undefined;
        if (key === undefined) return this.register(request, flow);
        const tx = this.registerTx.get(key);
        if (tx === null) return;
        if (tx && tx.until > Date.now()) {
          this.sendRaw(flow, tx.response);
          return;
        }
        this.registerTx.delete(key);
        this.registerTx.set(key, null);
        try {
          return await this.register(request, flow);
        } finally {
          // No final response recorded (the handler threw): forget it, a retransmission retries.
          if (this.registerTx.get(key) === null) this.registerTx.delete(key);
        }
      }
      case "CANCEL":
        return this.cancel(request, flow);
      case "ACK":
        if (this.serverTx.has(branchOf(request))) return; // ACK of a non-2xx final we sent
        return this.forwardInDialog(request, flow, routedToUs.routed);
      case "INVITE":
        if (toTag === undefined) {
          this.stats.invites++;
          return this.invite(request, flow);
        }
        return this.forwardInDialog(request, flow, routedToUs.routed);
      case "OPTIONS":
        if (toTag === undefined && !routedToUs.routed) {
          this.reply(request, flow, 200, "OK", [["Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER"]]);
          return;
        }
        return this.forwardInDialog(request, flow, routedToUs.routed);
      default:
        if (toTag !== undefined || routedToUs.routed) return this.forwardInDialog(request, flow, routedToUs.routed);
        this.reply(request, flow, 405, "Method Not Allowed", [
          ["Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER"],
        ]);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Authentication

  private async tenantOf(request: SipRequest, flow: Flow): Promise<TenantInfo | undefined> {
    let host: string;
    try {
      host = parseUri(request.uri, { allowHeaders: false }).host;
    } catch {
      this.reply(request, flow, 416, "Unsupported URI Scheme");
      return undefined;
    }
    const tenant = await this.options.directory.tenantBySlug(host);
    if (!tenant) {
      this.reply(request, flow, 404, "Domain not served here");
      return undefined;
    }
    if (!tenant.active) {
      this.reply(request, flow, 403, "Tenant suspended");
      return undefined;
    }
    return tenant;
  }

  /** Digest-authenticates a request (401 for REGISTER, 407 otherwise); answers and returns undefined on failure. */
  private async authenticate(request: SipRequest, flow: Flow, tenant: TenantInfo): Promise<Identity | undefined> {
    const proxy = request.method !== "REGISTER";
    const ip = flow.address;
    if (this.options.limiter.blocked(ip)) {
      this.reply(request, flow, 403, "Too many failed attempts");
      return undefined;
    }
    if (this.options.feedLoginSecurity && (await this.blockedByLoginSecurity(tenant.id, ip))) {
      this.reply(request, flow, 403, "Blocked by login security");
      return undefined;
    }
    const headerName = proxy ? "Proxy-Authorization" : "Authorization";
    const challenge = (stale: boolean) => {
      const headerOut = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
      this.reply(
        request,
        flow,
        proxy ? 407 : 401,
        proxy ? "Proxy Authentication Required" : "Unauthorized",
        challenges(this.options.nonces, tenant.slug, stale).map((c) => [headerOut, formatDigestChallenge(c)] as const),
      );
      return undefined;
    };
    const header = request.headers
      .getAll(headerName)
      .find((value) => /realm\s*=\s*"?([^",]*)"?/i.exec(value)?.[1]?.toLowerCase() === tenant.slug);
    if (!header) return challenge(false);
    let credentials: ReturnType<typeof parseDigestCredentials>;
    try {
      credentials = parseDigestCredentials(header);
    } catch {
      this.reply(request, flow, 400, "Malformed credentials");
      return undefined;
    }
    const algorithm = normalizeAlgorithm(credentials.algorithm);
    if (!algorithm || credentials.qop !== "auth" || credentials.userhash) return challenge(false);
    const nonceState = this.options.nonces.check(credentials.nonce, tenant.slug);
    if (nonceState === "invalid") return challenge(false);

    const identity = await this.identify(tenant, credentials.username);
    const password = identity
      ? identity.kind === "linkus"
        ? linkusSipPassword((await this.options.deps.keys()).tokenKey, tenant.id, identity.sessionId)
        : identity.extension.password
      : undefined;
    const expected =
      password === undefined ? undefined : digestResponse(algorithm, credentials, request.method, password);
    if (!identity || expected === undefined || !responseMatches(expected, credentials.response)) {
      if (this.options.limiter.fail(ip)) {
        logger.warn("SIP authentication failures: IP blocked", { sourceIp: ip, tenantId: tenant.id });
        this.reply(request, flow, 403, "Too many failed attempts");
      } else {
        challenge(false);
      }
      if (this.options.feedLoginSecurity) void this.countFailure(tenant.id, ip);
      return undefined;
    }
    if (nonceState === "stale" || !this.options.nonces.accept(credentials.nonce, credentials.nc))
      return challenge(true);
    return identity;
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

  private readonly blockCache = new Map<string, { blocked: boolean; until: number }>();

  private async blockedByLoginSecurity(tenantId: string, ip: string): Promise<boolean> {
    const key = `${tenantId}/${ip}`;
    const hit = this.blockCache.get(key);
    if (hit && hit.until > Date.now()) return hit.blocked;
    let blocked = false;
    try {
      const settings = await loginSecuritySettings(this.options.deps, tenantId);
      await assertNotBlocked(this.options.deps, tenantId, ip, settings);
    } catch (error) {
      if (!(error instanceof BlockedIpError)) throw error;
      blocked = true;
    }
    if (this.blockCache.size > 50_000) this.blockCache.clear();
    this.blockCache.set(key, { blocked, until: Date.now() + 2_000 });
    return blocked;
  }

  private async countFailure(tenantId: string, ip: string): Promise<void> {
    try {
      const settings = await loginSecuritySettings(this.options.deps, tenantId);
      if (await countFailedLogin(this.options.deps, tenantId, ip, "linkus", settings)) {
        this.blockCache.delete(`${tenantId}/${ip}`);
        logger.warn("SIP authentication failures blocked an IP by login security", { tenantId, sourceIp: ip });
      }
    } catch (error) {
      logger.error("Could not count a failed SIP authentication", { error: error as Error });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Registrar (RFC 3261 §10.3)

  private async register(request: SipRequest, flow: Flow): Promise<void> {
    const tenant = await this.tenantOf(request, flow);
    if (!tenant) return;
    const identity = await this.authenticate(request, flow, tenant);
    if (!identity) return;
    const { extension } = identity;
    this.options.limiter.succeed(flow.address);

    const toUser = userOf(request.headers.get("To"));
    const allowed = [extension.registrationName, extension.number];
    if (identity.kind === "linkus") allowed.push(`linkus*${identity.sessionId}`);
    if (toUser === undefined || !allowed.includes(toUser)) {
      this.reply(request, flow, 403, "Not allowed to register this address");
      return;
    }

    const contacts = request.headers.getAll("Contact");
    const headerExpires = request.headers.get("Expires");
    const bounds = { min: this.options.minExpires, max: this.options.maxExpires };
    const existing = await this.options.bindings.list(tenant.id, extension.id);
    const mine = (b: Binding) =>
      identity.kind === "linkus" ? b.kind === "linkus" && b.sessionId === identity.sessionId : b.kind === "phone";

    if (contacts.length === 1 && contacts[0]?.trim() === "*") {
      if (
        headerExpires === undefined ||
        parseExpires(headerExpires, bounds).ok !== true ||
        Number(headerExpires) !== 0
      ) {
        this.reply(request, flow, 400, "Contact * requires Expires: 0");
        return;
      }
      await Promise.all(existing.filter(mine).map((b) => this.options.bindings.remove(b)));
      if (existing.some(mine)) await this.registrationChanged(tenant.id, extension.id);
      this.reply(request, flow, 200, "OK", await this.contactList(tenant.id, extension.id));
      return;
    }

    const wanted: { uri: string; seconds: number }[] = [];
    for (const value of contacts) {
      let uri: string;
      let seconds: number;
      try {
        const address = parseNameAddr(value);
        parseUri(address.uri);
        uri = address.uri;
        const raw = address.params.get("expires") ?? headerExpires ?? String(this.options.defaultExpires);
        const result = parseExpires(raw, bounds);
        if (!result.ok) {
          if (result.reason === "too-brief") {
            this.reply(request, flow, 423, "Interval Too Brief", [["Min-Expires", String(result.min)]]);
          } else this.reply(request, flow, 400, "Invalid expires");
          return;
        }
        seconds = result.seconds;
      } catch {
        this.reply(request, flow, 400, "Malformed Contact header");
        return;
      }
      wanted.push({ uri, seconds });
    }

    const callId = request.headers.get("Call-ID") ?? "";
    const cseq = parseCSeq(request.headers.get("CSeq") ?? "0 REGISTER").seq;
    const userAgent = request.headers.get("User-Agent");
    let current = existing;
    let unsure = false;
    try {
      for (const { uri, seconds } of wanted) {
        if (seconds === 0) {
          await Promise.all(
            current.filter((b) => mine(b) && b.contact === uri).map((b) => this.options.bindings.remove(b)),
          );
          current = current.filter((b) => !(mine(b) && b.contact === uri));
          continue;
        }
        const binding = {
          tenantId: tenant.id,
          extensionId: extension.id,
          kind: identity.kind,
          ...(identity.kind === "linkus" ? { sessionId: identity.sessionId } : {}),
          contact: uri,
          flow,
          callId,
          cseq,
          expiresAtMs: Date.now() + seconds * 1000,
          ...(userAgent ? { userAgent } : {}),
          taskId: this.options.taskId,
        };
        if (identity.kind === "linkus") {
          const stored = await this.options.bindings.putLinkus(binding);
          current = [...current.filter((b) => b.bindingId !== stored.bindingId), stored];
        } else {
          const claimed = await this.options.bindings.claimPhone(binding, extension.concurrentRegistrations, current);
          if (!claimed.ok) {
            logger.info("Registration refused: limit", { tenantId: tenant.id, extensionId: extension.id });
            this.reply(request, flow, 403, LIMIT_REASON);
            return;
          }
          current = [...current.filter((b) => b.bindingId !== claimed.binding.bindingId), claimed.binding];
        }
        this.contactFlows.set(hostPortOf(uri), flow);
      }
    } catch (error) {
      unsure = true; // a write may have landed before the failure
      throw error;
    } finally {
      // Also when the limit stopped the request part way: what was written counts.
      if (unsure || bindingsChanged(existing, current, Date.now())) {
        await this.registrationChanged(tenant.id, extension.id);
      }
    }
    // The bindings read at the start with this request's writes applied: no second read.
    this.reply(request, flow, 200, "OK", contactHeaders(current));
  }

  /**
   * An extension's bindings changed in a way presence may show: bump the tenant's registration
   * epoch, which every task's presence watches, and refresh this task's at once. A failed bump is logged, not
   * answered with an error: the binding is stored, and presence re-lists within a minute anyway.
   */
  private async registrationChanged(tenantId: string, extensionId: string): Promise<void> {
    try {
      await this.options.bindings.bumpEpoch(tenantId);
    } catch (error) {
      logger.error("Registration epoch not bumped", { error: error as Error, tenantId });
    }
    this.options.events.emit("presence", { tenantId, extensionId });
  }

  private async contactList(tenantId: string, extensionId: string): Promise<[string, string][]> {
    return contactHeaders(await this.options.bindings.list(tenantId, extensionId));
  }

  /** Bindings a call may use: phones within the current limit, Linkus clients whose session is live. */
  private async routableBindings(tenantId: string, extension: ExtensionInfo): Promise<Binding[]> {
    const all = await this.options.bindings.list(tenantId, extension.id);
    const out: Binding[] = [];
    let removed = 0;
    for (const binding of all) {
      if (binding.kind === "phone") {
        if (Number(binding.bindingId.slice(1)) <= extension.concurrentRegistrations) out.push(binding);
      } else if (binding.sessionId && (await this.options.directory.liveSession(tenantId, binding.sessionId))) {
        out.push(binding);
      } else {
        await this.options.bindings.remove(binding);
        removed++;
      }
    }
    if (removed > 0) await this.registrationChanged(tenantId, extension.id);
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Proxy: INVITE forking (RFC 3261 §16)

  private async invite(request: SipRequest, flow: Flow): Promise<void> {
    const key = branchOf(request);
    const existing = this.serverTx.get(key);
    if (existing) {
      if (existing.lastUpstream) this.sendRaw(existing.source, existing.lastUpstream);
      return;
    }
    const maxForwards = parseMaxForwards(request.headers.get("Max-Forwards") ?? "70") ?? 70;
    if (maxForwards <= 0) {
      this.reply(request, flow, 483, "Too Many Hops");
      return;
    }
    const tenant = await this.tenantOf(request, flow);
    if (!tenant) return;
    const identity = await this.authenticate(request, flow, tenant);
    if (!identity) return;
    const caller = identity.extension;
    let target: string | undefined;
    try {
      target = parseUri(request.uri, { allowHeaders: false }).user;
    } catch {
      target = undefined;
    }
    const callee =
      target === undefined
        ? undefined
        : ((await this.options.directory.extensionByNumber(tenant.id, target)) ??
          (await this.options.directory.extensionByRegistrationName(tenant.id, target)));
    if (!callee) {
      this.reply(request, flow, 404, "Not Found");
      return;
    }
    const bindings = (await this.routableBindings(tenant.id, callee)).filter(
      (b) => !(b.flow.address === flow.address && b.flow.port === flow.port && b.flow.transport === flow.transport),
    );
    const tx: InviteTx = {
      key,
      request,
      source: flow,
      tenantId: tenant.id,
      caller,
      callee,
      callId: request.headers.get("Call-ID") ?? "",
      branches: [],
      startedAt: new Date(),
      finalSent: false,
      answered: false,
      cancelled: false,
      best: undefined,
      lastUpstream: undefined,
      noAnswer: undefined,
    };
    if (bindings.length === 0) {
      this.reply(request, flow, 480, "Temporarily Unavailable");
      await this.logCall(tx, "no_answer", 0);
      return;
    }
    this.serverTx.set(key, tx);
    this.upstream(tx, buildResponse(request, 100, "Trying"));
    for (const binding of bindings) {
      const id = `${BRANCH_PREFIX}${randomBytes(8).toString("hex")}`;
      const forwarded = this.forwardedInvite(request, binding, id, maxForwards - 1);
      const branch: ClientBranch = {
        id,
        request: forwarded,
        flow: binding.flow,
        binding,
        provisional: false,
        final: undefined,
        retransmit: undefined,
        timeout: undefined,
      };
      tx.branches.push(branch);
      this.clientTx.set(id, { tx, branch });
      const wire = serializeMessage(forwarded);
      if (!this.sendRaw(binding.flow, wire)) {
        branch.final = 480;
        continue;
      }
      if (binding.flow.transport === "udp") this.scheduleRetransmit(branch, wire, T1);
      branch.timeout = setTimeout(
        () => this.branchFinal(tx, branch, buildResponse(forwarded, 408, "Request Timeout")),
        TIMER_B,
      );
    }
    tx.noAnswer = setTimeout(() => this.giveUp(tx), this.options.noAnswerMs);
    this.emitCall(tx, "ringing");
    this.maybeFinish(tx);
  }

  private forwardedInvite(request: SipRequest, binding: Binding, branchId: string, maxForwards: number): SipRequest {
    const headers = new SipHeaders();
    headers.append("Via", this.ownVia(binding.flow.transport, branchId));
    let recordRouted = false;
    for (const [name, value] of request.headers) {
      if (name === "Max-Forwards" || name === "Proxy-Authorization" || name === "Route") continue;
      if (name === "Record-Route" && !recordRouted) {
        headers.append("Record-Route", this.recordRoute(binding.flow.transport));
        recordRouted = true;
      }
      headers.append(name, value);
    }
    if (!recordRouted) headers.append("Record-Route", this.recordRoute(binding.flow.transport));
    headers.append("Max-Forwards", String(maxForwards));
    return { method: "INVITE", uri: binding.contact, version: "SIP/2.0", headers, body: request.body };
  }

  private scheduleRetransmit(branch: ClientBranch, wire: Buffer, interval: number): void {
    branch.retransmit = setTimeout(() => {
      if (branch.provisional || branch.final !== undefined) return;
      this.sendRaw(branch.flow, wire);
      this.scheduleRetransmit(branch, wire, Math.min(interval * 2, 4_000));
    }, interval);
  }

  private async onResponse(response: SipResponse): Promise<void> {
    const topVia = response.headers.get("Via");
    if (!topVia) return;
    let branch: string | undefined;
    try {
      branch = parseVia(topVia).params.get("branch") ?? undefined;
    } catch {
      return;
    }
    if (!branch?.startsWith(BRANCH_PREFIX)) return; // not sent by us
    let method = "";
    try {
      method = parseCSeq(response.headers.get("CSeq") ?? "").method;
    } catch {
      return;
    }
    const match = this.clientTx.get(branch);
    if (match && method === "INVITE") return this.branchResponse(match.tx, match.branch, response);
    if (match) return; // the answer to a CANCEL we sent
    this.forwardResponseStatelessly(response);
  }

  private branchResponse(tx: InviteTx, branch: ClientBranch, response: SipResponse): void {
    if (response.status < 200) {
      branch.provisional = true;
      if (response.status === 100 || tx.finalSent) return;
      this.upstream(tx, this.upstreamCopy(tx, response));
      return;
    }
    if (response.status < 300) {
      clearTimeout(branch.retransmit);
      clearTimeout(branch.timeout);
      branch.final = response.status;
      // Every 2xx goes upstream, retransmissions included: the caller's ACK ends them (§16.7 step 5).
      this.sendRaw(tx.source, serializeMessage(this.upstreamCopy(tx, response)));
      if (!tx.answered) {
        tx.answered = true;
        tx.finalSent = true;
        clearTimeout(tx.noAnswer);
        for (const other of tx.branches) if (other !== branch) this.cancelBranch(other);
        const answeredAt = new Date();
        this.dialogs.set(tx.callId, {
          tenantId: tx.tenantId,
          caller: tx.caller,
          callee: tx.callee,
          startedAt: tx.startedAt,
          answeredAt,
        });
        this.emitCall(tx, "answered");
        this.retire(tx);
      }
      return;
    }
    this.branchFinal(tx, branch, response);
  }

  private branchFinal(tx: InviteTx, branch: ClientBranch, response: SipResponse): void {
    clearTimeout(branch.retransmit);
    clearTimeout(branch.timeout);
    if (branch.final === undefined && response.status !== 408) this.ackBranch(branch, response);
    if (branch.final !== undefined && branch.final >= 300) return; // retransmission
    branch.final = response.status;
    if (!tx.best || rank(response.status) < rank(tx.best.status)) tx.best = response;
    this.maybeFinish(tx);
  }

  private maybeFinish(tx: InviteTx): void {
    if (tx.finalSent || tx.branches.some((b) => b.final === undefined)) return;
    tx.finalSent = true;
    clearTimeout(tx.noAnswer);
    const best = tx.cancelled
      ? buildResponse(tx.request, 487, "Request Terminated")
      : tx.best
        ? this.upstreamCopy(tx, tx.best)
        : buildResponse(tx.request, 480, "Temporarily Unavailable");
    this.upstream(tx, best);
    const status = best.status;
    const result =
      tx.cancelled || status === 487
        ? "cancelled"
        : status === 486 || status === 600
          ? "busy"
          : status === 480 || status === 408
            ? "no_answer"
            : "failed";
    void this.logCall(tx, result, 0);
    this.emitCall(tx, "ended", result);
    this.retire(tx);
  }

  /** Keeps the transaction a while to absorb retransmissions and the ACK, then forgets it. */
  private retire(tx: InviteTx): void {
    setTimeout(() => {
      this.serverTx.delete(tx.key);
      for (const branch of tx.branches) {
        clearTimeout(branch.retransmit);
        clearTimeout(branch.timeout);
        this.clientTx.delete(branch.id);
      }
    }, TIMER_B).unref();
  }

  private giveUp(tx: InviteTx): void {
    if (tx.finalSent) return;
    for (const branch of tx.branches) this.cancelBranch(branch);
    tx.best = buildResponse(tx.request, 480, "Temporarily Unavailable");
  }

  private async cancel(request: SipRequest, flow: Flow): Promise<void> {
    const tx = this.serverTx.get(branchOf(request));
    if (!tx) {
      this.reply(request, flow, 481, "Call/Transaction Does Not Exist");
      return;
    }
    this.reply(request, flow, 200, "OK");
    if (tx.finalSent) return;
    tx.cancelled = true;
    for (const branch of tx.branches) this.cancelBranch(branch);
  }

  private cancelBranch(branch: ClientBranch): void {
    if (branch.final !== undefined) return;
    const source = branch.request.headers;
    const headers = new SipHeaders();
    headers.append("Via", source.get("Via") ?? "");
    headers.append("Max-Forwards", "70");
    for (const name of ["From", "To", "Call-ID"]) headers.append(name, source.get(name) ?? "");
    const seq = parseCSeq(source.get("CSeq") ?? "1 INVITE").seq;
    headers.append("CSeq", `${seq} CANCEL`);
    const cancel: SipRequest = {
      method: "CANCEL",
      uri: branch.request.uri,
      version: "SIP/2.0",
      headers,
      body: Buffer.alloc(0),
    };
    this.sendRaw(branch.flow, serializeMessage(cancel));
  }

  private ackBranch(branch: ClientBranch, response: SipResponse): void {
    const source = branch.request.headers;
    const headers = new SipHeaders();
    headers.append("Via", source.get("Via") ?? "");
    headers.append("Max-Forwards", "70");
    headers.append("From", source.get("From") ?? "");
    headers.append("To", response.headers.get("To") ?? source.get("To") ?? "");
    headers.append("Call-ID", source.get("Call-ID") ?? "");
    headers.append("CSeq", `${parseCSeq(source.get("CSeq") ?? "1 INVITE").seq} ACK`);
    const ack: SipRequest = {
      method: "ACK",
      uri: branch.request.uri,
      version: "SIP/2.0",
      headers,
      body: Buffer.alloc(0),
    };
    this.sendRaw(branch.flow, serializeMessage(ack));
  }

  /** A downstream response as the caller must see it: the caller's Via headers, not ours. */
  private upstreamCopy(tx: InviteTx, response: SipResponse): SipResponse {
    const headers = new SipHeaders();
    for (const via of tx.request.headers.getAll("Via")) headers.append("Via", via);
    for (const [name, value] of response.headers) if (name !== "Via") headers.append(name, value);
    return { ...response, headers };
  }

  private upstream(tx: InviteTx, response: SipResponse): void {
    const wire = serializeMessage(response);
    tx.lastUpstream = wire;
    this.sendRaw(tx.source, wire);
  }

  // -------------------------------------------------------------------------------------------
  // In-dialog requests and stateless response forwarding

  private async forwardInDialog(request: SipRequest, flow: Flow, routed: boolean): Promise<void> {
    const callId = request.headers.get("Call-ID") ?? "";
    const dialog = this.dialogs.get(callId);
    if (!routed && !dialog) {
      if (request.method !== "ACK") this.reply(request, flow, 481, "Call/Transaction Does Not Exist");
      return;
    }
    const maxForwards = parseMaxForwards(request.headers.get("Max-Forwards") ?? "70") ?? 70;
    if (maxForwards <= 0) {
      if (request.method !== "ACK") this.reply(request, flow, 483, "Too Many Hops");
      return;
    }
    const routes = request.headers.getAll("Route");
    const nextHop = routes[0] === undefined ? request.uri : safeUriOfNameAddr(routes[0]);
    const destination = nextHop === undefined ? undefined : this.flowForUri(nextHop);
    if (!destination) {
      if (request.method !== "ACK") this.reply(request, flow, 404, "Not Found");
      return;
    }
    const headers = new SipHeaders();
    headers.append("Via", this.ownVia(destination.transport, `${BRANCH_PREFIX}${randomBytes(8).toString("hex")}`));
    for (const [name, value] of request.headers) if (name !== "Max-Forwards") headers.append(name, value);
    headers.append("Max-Forwards", String(maxForwards - 1));
    const forwarded: SipRequest = { ...request, headers };
    if (!this.sendRaw(destination, serializeMessage(forwarded)) && request.method !== "ACK") {
      this.reply(request, flow, 503, "Service Unavailable");
      return;
    }
    if (request.method === "BYE" && dialog) {
      this.dialogs.delete(callId);
      const duration = Math.max(0, Math.round((Date.now() - dialog.answeredAt.getTime()) / 1000));
      const tx = {
        tenantId: dialog.tenantId,
        caller: dialog.caller,
        callee: dialog.callee,
        startedAt: dialog.startedAt,
        callId,
      };
      await this.logCall(tx, "answered", duration);
      this.emitCall(tx, "ended", "answered", duration);
    }
  }

  private forwardResponseStatelessly(response: SipResponse): void {
    const vias = response.headers.getAll("Via");
    const next = vias[1];
    if (next === undefined) return;
    let via: ReturnType<typeof parseVia>;
    try {
      via = parseVia(next);
    } catch {
      return;
    }
    const headers = new SipHeaders();
    let skipped = false;
    for (const [name, value] of response.headers) {
      if (name === "Via" && !skipped) {
        skipped = true;
        continue;
      }
      headers.append(name, value);
    }
    const rport = via.params.get("rport");
    const flow: Flow = {
      transport: transportOf(via.transport),
      address: via.params.get("received") ?? via.host.replace(/^\[|\]$/g, ""),
      port: rport ? Number(rport) : (via.port ?? 5060),
    };
    this.sendRaw(flow, serializeMessage({ ...response, headers }));
  }

  private flowForUri(uri: string): Flow | undefined {
    try {
      const parsed = parseUri(uri);
      const known = this.contactFlows.get(`${parsed.host}:${parsed.port ?? 5060}`);
      if (known) return known;
      const transport = parsed.params.get("transport")?.toLowerCase();
      return {
        transport: transport === "tcp" ? "tcp" : transport === "tls" || parsed.scheme === "sips" ? "tls" : "udp",
        address: parsed.host.replace(/^\[|\]$/g, ""),
        port: parsed.port ?? (parsed.scheme === "sips" ? 5061 : 5060),
      };
    } catch {
      return undefined;
    }
  }

  private stripOwnRoute(request: SipRequest): { request: SipRequest; routed: boolean } {
    const first = request.headers.get("Route");
    if (first === undefined) return { request, routed: false };
    const uri = safeUriOfNameAddr(first);
    if (uri === undefined || !this.isOwnUri(uri)) return { request, routed: false };
    const headers = new SipHeaders();
    let removed = false;
    for (const [name, value] of request.headers) {
      if (name === "Route" && !removed) {
        removed = true;
        continue;
      }
      headers.append(name, value);
    }
    return { request: { ...request, headers }, routed: true };
  }

  private isOwnUri(uri: string): boolean {
    try {
      const parsed = parseUri(uri);
      const ports = [this.transport?.port, this.transport?.tlsPort].filter((p) => p);
      return parsed.host === this.options.advertisedHost.toLowerCase() && ports.includes(parsed.port ?? 5060);
    } catch {
      return false;
    }
  }

  private ownVia(transport: Transport, branch: string): string {
    const port = transport === "tls" ? this.transport?.tlsPort : this.transport?.port;
    return formatVia({
      transport: transport.toUpperCase(),
      host: this.options.advertisedHost,
      port,
      params: new Map([["branch", branch]]),
    });
  }

  private recordRoute(transport: Transport): string {
    const port = transport === "tls" ? this.transport?.tlsPort : this.transport?.port;
    const scheme = transport === "tls" ? "sips" : "sip";
    return `<${scheme}:${this.options.advertisedHost}:${port};transport=${transport};lr>`;
  }

  // -------------------------------------------------------------------------------------------
  // Call logs and events

  private async logCall(
    tx: Pick<InviteTx, "tenantId" | "caller" | "callee" | "startedAt" | "callId">,
    result: "answered" | "busy" | "no_answer" | "failed" | "cancelled",
    durationSeconds: number,
  ): Promise<void> {
    const startedAt = tx.startedAt.toISOString();
    const calleeStatus = result === "cancelled" || result === "no_answer" ? "missed" : result;
    const writes = [
      writeRecord(this.options.deps, tx.tenantId, tx.caller.id, {
        kind: "call",
        name: tx.callee.name,
        number: tx.callee.number,
        direction: "internal",
        status: result,
        startedAt,
        durationSeconds,
      }),
      writeRecord(this.options.deps, tx.tenantId, tx.callee.id, {
        kind: "call",
        name: tx.caller.name,
        number: tx.caller.number,
        direction: "internal",
        status: calleeStatus,
        startedAt,
        durationSeconds,
      }),
    ];
    try {
      await Promise.all(writes);
    } catch (error) {
      logger.error("Could not write a call log", { error: error as Error, tenantId: tx.tenantId });
    }
  }

  private emitCall(
    tx: Pick<InviteTx, "tenantId" | "caller" | "callee" | "callId">,
    state: "ringing" | "answered" | "ended",
    result?: string,
    durationSeconds?: number,
  ): void {
    const extra = { ...(result ? { result } : {}), ...(durationSeconds !== undefined ? { durationSeconds } : {}) };
    const { events } = this.options;
    events.emit("call", {
      tenantId: tx.tenantId,
      extensionId: tx.caller.id,
      callId: tx.callId,
      state,
      direction: "outbound",
      peer: { number: tx.callee.number, name: tx.callee.name },
      ...extra,
    });
    events.emit("call", {
      tenantId: tx.tenantId,
      extensionId: tx.callee.id,
      callId: tx.callId,
      state,
      direction: "inbound",
      peer: { number: tx.caller.number, name: tx.caller.name },
      ...extra,
    });
    events.emit("presence", { tenantId: tx.tenantId, extensionId: tx.caller.id });
    events.emit("presence", { tenantId: tx.tenantId, extensionId: tx.callee.id });
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  private reply(
    request: SipRequest,
    flow: Flow,
    status: number,
    reason: string,
    headers?: Iterable<readonly [string, string]>,
  ): void {
    const response = serializeMessage(buildResponse(request, status, reason, headers ? { headers } : {}));
    if (request.method === "REGISTER" && flow.transport === "udp") this.completeRegister(request, flow, response);
    this.sendRaw(flow, response);
  }

  private completeRegister(request: SipRequest, flow: Flow, response: Buffer): void {
    const key = registerTxKey(request, flow);
    if (this.registerTx.get(key) !== null) return; // not a transaction being handled (a 400 before it)
    this.registerTx.delete(key);
    this.registerTx.set(key, { response, until: Date.now() + TIMER_J });
    // Over the cap, the oldest answers go first; transactions still being handled stay.
    if (this.registerTx.size > MAX_COMPLETED_REGISTERS) {
      for (const [oldKey, tx] of this.registerTx) {
        if (this.registerTx.size <= MAX_COMPLETED_REGISTERS) break;
        if (tx !== null) this.registerTx.delete(oldKey);
      }
    }
  }

  private sendRaw(flow: Flow, data: Buffer): boolean {
    return this.transport?.send(flow, data) ?? false;
  }

  prune(): void {
    if (this.contactFlows.size > 200_000) this.contactFlows.clear();
    const now = Date.now();
    for (const [key, tx] of this.registerTx) {
      if (tx === null) continue;
      if (tx.until > now) break;
      this.registerTx.delete(key);
    }
  }
}

/**
 * A retransmission repeats the source, the top Via's branch, Call-ID and CSeq; a new request (an
 * answer to a challenge) has a higher CSeq even from a phone that reuses its branch or sends none
 * (RFC 2543), so it is never mistaken for a retransmission of the challenged one.
 */
/** A binding this close to expiry may already look lapsed to another task listing right now. */
const LAPSE_MARGIN_MS = 5_000;

/**
 * Whether other tasks' presence must look again. Not for a refresh of the same bindings, which is
 * most REGISTERs; yes when a binding appeared or went (by slot: two tasks each adding or removing
 * one of an extension's bindings at once must both say so), and when every binding was about to
 * lapse, since a listing taken at its expiry may have dropped the extension just before this
 * refresh landed.
 */
function bindingsChanged(before: Binding[], after: Binding[], now: number): boolean {
  const slots = (bindings: Binding[]) =>
    bindings
      .map((b) => b.bindingId)
      .sort()
      .join(",");
  if (slots(before) !== slots(after)) return true;
  return after.length > 0 && before.every((b) => b.expiresAtMs < now + LAPSE_MARGIN_MS);
}

function registerTxKey(request: SipRequest, flow: Flow): string {
  const cseq = request.headers.get("CSeq") ?? "";
  return `${flow.address}:${flow.port}/${branchOf(request)}/${request.headers.get("Call-ID") ?? ""}/${cseq}`;
}

function rank(status: number): number {
  if (status === 486 || status === 600) return 0; // busy wins: the caller learns the callee is busy
  if (status >= 600) return 1;
  if (status === 408) return 1000;
  return status;
}

/** The Contact headers of a 200 to a REGISTER: every live binding with its remaining seconds. */
function contactHeaders(bindings: Binding[]): [string, string][] {
  const now = Date.now();
  return bindings
    .filter((b) => b.expiresAtMs > now)
    .map((b) => ["Contact", `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAtMs - now) / 1000))}`]);
}

function branchOf(request: SipRequest): string {
  const top = request.headers.get("Via");
  try {
    const via = parseVia(top ?? "");
    return `${via.params.get("branch") ?? ""}|${via.host}:${via.port ?? 5060}`;
  } catch {
    return "";
  }
}

function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).params.get("tag") ?? undefined;
  } catch {
    return undefined;
  }
}

function userOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseUri(parseNameAddr(value).uri).user;
  } catch {
    return undefined;
  }
}

function safeUriOfNameAddr(value: string): string | undefined {
  try {
    return parseNameAddr(value).uri;
  } catch {
    return undefined;
  }
}

function hostPortOf(uri: string): string {
  try {
    const parsed = parseUri(uri);
    return `${parsed.host}:${parsed.port ?? 5060}`;
  } catch {
    return uri;
  }
}

function transportOf(value: string): Transport {
  const lower = value.toLowerCase();
  return lower === "tcp" ? "tcp" : lower === "tls" ? "tls" : "udp";
}

/** RFC 3261 §18.2.1 and RFC 3581: note where the request really came from in its top Via. */
function stampVia(request: SipRequest, flow: Flow): SipRequest {
  const top = request.headers.get("Via");
  if (top === undefined) return request;
  let via: ReturnType<typeof parseVia>;
  try {
    via = parseVia(top);
  } catch {
    return request;
  }
  const params = new Map(via.params);
  if (via.host !== flow.address) params.set("received", flow.address);
  if (params.has("rport")) params.set("rport", String(flow.port));
  if (params.size === via.params.size && params.get("rport") === via.params.get("rport") && !params.has("received")) {
    return request;
  }
  const headers = new SipHeaders();
  let replaced = false;
  for (const [name, value] of request.headers) {
    if (name === "Via" && !replaced) {
      replaced = true;
      headers.append("Via", formatVia({ ...via, params }));
    } else headers.append(name, value);
  }
  return { ...request, headers };
}
