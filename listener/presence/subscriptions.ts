import { logger } from "../../layers/core/logger.js";
import type { Answer, Authenticator, Identity } from "../auth/authenticator.js";
import type { Directory, ExtensionInfo } from "../directory.js";
import type { CallEvent } from "../events.js";
import { SipHeaders } from "../sip/header-fields.js";
import { parseDeltaSeconds } from "../sip/headers.js";
import type { SipRequest, SipResponse } from "../sip/message.js";
import { randomToken } from "../sip/random.js";
import { newTag, serializeMessage } from "../sip/serialize.js";
import { requestUser, tagOf, uriOfNameAddr } from "../sip/view.js";
import { T1, T2, TIMER_F } from "../transaction/timers.js";
import type { Flow, Transport } from "../transport/flow.js";
import { type DialogState, dialogInfo, messageSummary } from "./bodies.js";

export const NOTIFY_PREFIX = "z9hG4bK-cpn";
const PACKAGES = ["dialog", "message-summary"] as const;
type EventPackage = (typeof PACKAGES)[number];

export interface SubscriptionsOptions {
  authenticator: Authenticator;
  directory: Directory;
  send: (flow: Flow, data: Buffer) => boolean;
  ownVia: (transport: Transport, branch: string) => string;
  ownContact: (transport: Transport) => string;
  voicemailCounts: (tenantId: string, extensionId: string) => Promise<{ new: number; old: number }>;
  minExpires: number;
  maxExpires: number;
  /** How often mailbox counts are read again for message-summary subscribers. */
  mwiPollMs: number;
  maxSubscriptions: number;
}

interface Subscription {
  key: string;
  tenantId: string;
  slug: string;
  event: EventPackage;
  /** The watched extension (dialog) or the mailbox's owner (message-summary). */
  target: ExtensionInfo;
  flow: Flow;
  remoteTarget: string;
  /** Our side of the dialog: the SUBSCRIBE's To with our tag, and its From as theirs. */
  local: string;
  remote: string;
  callId: string;
  cseq: number;
  version: number;
  expiresAtMs: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  lastBody: string | undefined;
}

/**
 * The notifier for the two event packages desk phones subscribe to (RFC 6665): `dialog` (RFC
 * 4235, BLF keys: a colleague idle, ringing or on a call) and `message-summary` (RFC 3842, the
 * MWI lamp: the subscriber's own voicemail counts). Subscriptions live in this task's memory; a
 * refresh that reaches another task gets 481 and the phone subscribes again (RFC 6665 §4.1.2.2).
 */
export class Subscriptions {
  private readonly subscriptions = new Map<string, Subscription>();
  /** Calls ringing or connected per extension (`tenant/extension` → Call-ID → state), from call events. */
  private readonly calls = new Map<string, Map<string, { state: DialogState; direction: CallEvent["direction"] }>>();
  private readonly inFlight = new Map<
    string,
    { subscription: Subscription; retransmit?: ReturnType<typeof setTimeout> }
  >();
  private readonly poll: ReturnType<typeof setInterval>;

  constructor(private readonly options: SubscriptionsOptions) {
    this.poll = setInterval(() => void this.pollMailboxes(), options.mwiPollMs);
    this.poll.unref();
  }

  get size(): number {
    return this.subscriptions.size;
  }

  close(): void {
    clearInterval(this.poll);
    for (const subscription of this.subscriptions.values()) clearTimeout(subscription.timer);
    for (const pending of this.inFlight.values()) clearTimeout(pending.retransmit);
    this.subscriptions.clear();
  }

  /** Whether an in-dialog request belongs to one of our subscriptions (a refresh or an unsubscribe). */
  owns(request: SipRequest): boolean {
    return this.subscriptions.has(keyOf(request.headers.get("Call-ID"), tagOf(request.headers.get("To"))));
  }

  /** An initial SUBSCRIBE: authenticate, accept (202-style 200), then NOTIFY the current state. */
  async subscribe(request: SipRequest, source: Flow): Promise<Answer> {
    const event = packageOf(request.headers.get("Event"));
    if (event === undefined) {
      return { status: 489, reason: "Bad Event", headers: [["Allow-Events", PACKAGES.join(", ")]] };
    }
    const { authenticator } = this.options;
    const outcome = await authenticator.authenticate(request, source);
    if ("answer" in outcome) return outcome.answer;
    const expires = this.expiresOf(request);
    if (typeof expires !== "number") return expires;
    const target = await this.targetOf(request, event, outcome.tenant.id, outcome.identity);
    if ("status" in target) return target;
    const contact = uriOfNameAddr(request.headers.get("Contact") ?? "");
    if (contact === undefined) return { status: 400, reason: "Missing or malformed Contact" };
    if (expires > 0 && this.subscriptions.size >= this.options.maxSubscriptions) {
      return { status: 503, reason: "Too many subscriptions", headers: [["Retry-After", "60"]] };
    }
    const ourTag = newTag();
    const callId = request.headers.get("Call-ID") ?? "";
    const subscription: Subscription = {
      key: keyOf(callId, ourTag),
      tenantId: outcome.tenant.id,
      slug: outcome.tenant.slug,
      event,
      target: target.extension,
      flow: source,
      remoteTarget: contact,
      local: `${request.headers.get("To") ?? ""};tag=${ourTag}`,
      remote: request.headers.get("From") ?? "",
      callId,
      cseq: 0,
      version: 0,
      expiresAtMs: Date.now() + expires * 1000,
      timer: undefined,
      lastBody: undefined,
    };
    if (expires > 0) this.keep(subscription);
    // The NOTIFY follows the 200 (RFC 6665 §4.2.1.2): sent once the answer is on its way.
    setImmediate(() => void this.notify(subscription, expires === 0 ? "timeout" : undefined));
    return this.accepted(subscription, expires, ourTag);
  }

  /** A SUBSCRIBE inside one of our subscriptions: refresh, or end it with Expires: 0. */
  async refresh(request: SipRequest): Promise<Answer> {
    const subscription = this.subscriptions.get(
      keyOf(request.headers.get("Call-ID"), tagOf(request.headers.get("To"))),
    );
    if (!subscription) return { status: 481, reason: "Subscription does not exist" };
    const expires = this.expiresOf(request);
    if (typeof expires !== "number") return expires;
    subscription.expiresAtMs = Date.now() + expires * 1000;
    if (expires === 0) this.drop(subscription);
    else this.keep(subscription);
    subscription.lastBody = undefined; // a refresh gets the full state again (§4.2.1.2)
    setImmediate(() => void this.notify(subscription, expires === 0 ? "timeout" : undefined));
    return { status: 200, reason: "OK", headers: [["Expires", String(expires)]] };
  }

  /** A call changed state: tell whoever watches either end. */
  onCall(event: CallEvent): void {
    const key = `${event.tenantId}/${event.extensionId}`;
    const calls = this.calls.get(key) ?? new Map();
    if (event.state === "ended") calls.delete(event.callId);
    else
      calls.set(event.callId, { state: event.state === "ringing" ? "early" : "confirmed", direction: event.direction });
    if (calls.size === 0) this.calls.delete(key);
    else this.calls.set(key, calls);
    for (const subscription of this.subscriptions.values()) {
      if (subscription.event === "dialog" && `${subscription.tenantId}/${subscription.target.id}` === key) {
        void this.notify(subscription);
      }
    }
  }

  /** A response to one of our NOTIFYs; a 481 or other failure ends the subscription (§4.1.3). */
  onResponse(branchId: string, response: SipResponse): boolean {
    const pending = this.inFlight.get(branchId);
    if (!pending) return branchId.startsWith(NOTIFY_PREFIX);
    if (response.status < 200) return true;
    clearTimeout(pending.retransmit);
    this.inFlight.delete(branchId);
    if (response.status >= 300) this.drop(pending.subscription);
    return true;
  }

  private accepted(subscription: Subscription, expires: number, ourTag: string): Answer {
    return {
      status: 200,
      reason: "OK",
      headers: [
        ["Expires", String(expires)],
        ["Contact", `<${this.options.ownContact(subscription.flow.transport)}>`],
      ],
      toTag: ourTag,
    };
  }

  private expiresOf(request: SipRequest): number | Answer {
    const header = request.headers.get("Expires");
    // RFC 6665 §4.1.2.1: without Expires, the package's default; one hour for both of ours.
    const seconds = header === undefined ? 3600 : parseDeltaSeconds(header.trim());
    if (seconds === undefined) return { status: 400, reason: "Invalid Expires" };
    if (seconds === 0) return 0;
    if (seconds < this.options.minExpires) {
      return { status: 423, reason: "Interval Too Brief", headers: [["Min-Expires", String(this.options.minExpires)]] };
    }
    return Math.min(seconds, this.options.maxExpires);
  }

  private async targetOf(
    request: SipRequest,
    event: EventPackage,
    tenantId: string,
    identity: Identity,
  ): Promise<{ extension: ExtensionInfo } | Answer> {
    const user = requestUser(request);
    const own = identity.extension;
    if (event === "message-summary") {
      // A mailbox is private: only its owner's devices may watch it.
      if (user !== undefined && user !== own.number && user !== own.registrationName) {
        return { status: 403, reason: "Not your mailbox" };
      }
      return { extension: own };
    }
    const { directory } = this.options;
    const watched = await directory.extensionByTarget(tenantId, user);
    return watched ? { extension: watched } : { status: 404, reason: "Not Found" };
  }

  private keep(subscription: Subscription): void {
    clearTimeout(subscription.timer);
    this.subscriptions.set(subscription.key, subscription);
    subscription.timer = setTimeout(
      () => {
        this.drop(subscription);
        void this.notify(subscription, "timeout");
      },
      Math.max(0, subscription.expiresAtMs - Date.now()),
    );
    subscription.timer.unref?.();
  }

  private drop(subscription: Subscription): void {
    clearTimeout(subscription.timer);
    if (this.subscriptions.get(subscription.key) === subscription) this.subscriptions.delete(subscription.key);
  }

  private async body(subscription: Subscription): Promise<{ type: string; text: string }> {
    const entity = `sip:${subscription.target.number}@${subscription.slug}`;
    if (subscription.event === "message-summary") {
      const counts = await this.options.voicemailCounts(subscription.tenantId, subscription.target.id);
      return { type: "application/simple-message-summary", text: messageSummary(entity, counts) };
    }
    const calls = this.calls.get(`${subscription.tenantId}/${subscription.target.id}`) ?? new Map();
    const dialogs = [...calls].map(([id, call]) => ({ id, ...call }));
    return { type: "application/dialog-info+xml", text: dialogInfo(entity, subscription.version, dialogs) };
  }

  /** Sends the subscription's state; `terminated` ends it with that reason. */
  private async notify(subscription: Subscription, terminated?: "timeout"): Promise<void> {
    let body: { type: string; text: string };
    try {
      body = await this.body(subscription);
    } catch (error) {
      logger.error("Could not build a NOTIFY", { error: error as Error, tenantId: subscription.tenantId });
      return;
    }
    // message-summary polls re-send only what changed; dialog versions count every NOTIFY.
    if (!terminated && body.text === subscription.lastBody) return;
    subscription.lastBody = body.text;
    subscription.version++;
    subscription.cseq++;
    const branch = `${NOTIFY_PREFIX}${randomToken(8)}`;
    const remaining = Math.max(0, Math.round((subscription.expiresAtMs - Date.now()) / 1000));
    const headers = new SipHeaders()
      .append("Via", this.options.ownVia(subscription.flow.transport, branch))
      .append("Max-Forwards", "70")
      .append("From", subscription.local)
      .append("To", subscription.remote)
      .append("Call-ID", subscription.callId)
      .append("CSeq", `${subscription.cseq} NOTIFY`)
      .append("Contact", `<${this.options.ownContact(subscription.flow.transport)}>`)
      .append("Event", subscription.event)
      .append("Subscription-State", terminated ? `terminated;reason=${terminated}` : `active;expires=${remaining}`)
      .append("Content-Type", body.type);
    const wire = serializeMessage({
      method: "NOTIFY",
      uri: subscription.remoteTarget,
      version: "SIP/2.0",
      headers,
      body: Buffer.from(body.text),
    });
    if (!this.options.send(subscription.flow, wire)) {
      this.drop(subscription);
      return;
    }
    const pending: { subscription: Subscription; retransmit?: ReturnType<typeof setTimeout> } = { subscription };
    this.inFlight.set(branch, pending);
    const started = Date.now();
    const retransmit = (interval: number) => {
      pending.retransmit = setTimeout(() => {
        if (!this.inFlight.has(branch)) return;
        if (Date.now() - started >= TIMER_F) {
          this.inFlight.delete(branch);
          this.drop(subscription); // the subscriber is gone (§4.1.3: Timer F ends it)
          return;
        }
        if (subscription.flow.transport === "udp") this.options.send(subscription.flow, wire);
        retransmit(Math.min(interval * 2, T2));
      }, interval);
      pending.retransmit.unref?.();
    };
    retransmit(T1);
  }

  private async pollMailboxes(): Promise<void> {
    for (const subscription of [...this.subscriptions.values()]) {
      if (subscription.event === "message-summary") await this.notify(subscription);
    }
  }
}

function keyOf(callId: string | undefined, tag: string | undefined): string {
  return `${callId ?? ""}|${tag ?? ""}`;
}

function packageOf(value: string | undefined): EventPackage | undefined {
  const name = value?.split(";")[0]?.trim().toLowerCase();
  return PACKAGES.find((p) => p === name);
}
