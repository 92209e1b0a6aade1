import type { Answer, Authenticator } from "../auth/authenticator.js";
import type { Directory, ExtensionInfo } from "../directory.js";
import type { Binding } from "../registrar/bindings.js";
import { SipHeaders } from "../sip/header-fields.js";
import { parseMaxForwards } from "../sip/headers.js";
import type { SipRequest, SipResponse } from "../sip/message.js";
import { randomToken } from "../sip/random.js";
import { buildResponse, serializeMessage } from "../sip/serialize.js";
import { requestUser } from "../sip/view.js";
import { T1, T2, TIMER_F } from "../transaction/timers.js";
import { type Flow, sameFlow, type Transport } from "../transport/flow.js";

export const MESSAGE_PREFIX = "z9hG4bK-cpm";

export interface MessageRelayOptions {
  authenticator: Authenticator;
  directory: Directory;
  routableBindings: (tenantId: string, callee: ExtensionInfo) => Promise<Binding[]>;
  send: (flow: Flow, data: Buffer) => boolean;
  ownVia: (transport: Transport, branch: string) => string;
  /** Sends the final answer upstream (and records it in the server transaction). */
  respond: (request: SipRequest, flow: Flow, response: SipResponse) => void;
}

interface Branch {
  id: string;
  flow: Flow;
  wire: Buffer;
  final: number | undefined;
  retransmit: ReturnType<typeof setTimeout> | undefined;
}

interface Delivery {
  request: SipRequest;
  source: Flow;
  branches: Branch[];
  done: boolean;
  best: SipResponse | undefined;
  timeout: ReturnType<typeof setTimeout> | undefined;
}

/**
 * MESSAGE between extensions of one tenant (RFC 3428), authenticated like a call (407) and
 * delivered to every device of the addressee as non-INVITE client transactions: the first 2xx
 * goes upstream, else the best failure once every device answered, else 408 at Timer F.
 */
export class MessageRelay {
  private readonly pending = new Map<string, { delivery: Delivery; branch: Branch }>();

  constructor(private readonly options: MessageRelayOptions) {}

  async handle(request: SipRequest, source: Flow): Promise<Answer | undefined> {
    const maxForwards = parseMaxForwards(request.headers.get("Max-Forwards") ?? "70") ?? 70;
    if (maxForwards <= 0) return { status: 483, reason: "Too Many Hops" };
    const { authenticator, directory } = this.options;
    const outcome = await authenticator.authenticate(request, source);
    if ("answer" in outcome) return outcome.answer;
    const target = requestUser(request);
    const tenantId = outcome.tenant.id;
    const callee = await directory.extensionByTarget(tenantId, target);
    if (!callee) return { status: 404, reason: "Not Found" };
    const bindings = (await this.options.routableBindings(tenantId, callee)).filter((b) => !sameFlow(b.flow, source));
    if (bindings.length === 0) return { status: 480, reason: "Temporarily Unavailable" };
    const delivery: Delivery = { request, source, branches: [], done: false, best: undefined, timeout: undefined };
    for (const binding of bindings) this.deliver(delivery, binding, maxForwards - 1);
    delivery.timeout = setTimeout(() => this.finish(delivery, buildResponse(request, 408, "Request Timeout")), TIMER_F);
    this.maybeFinish(delivery);
    return undefined;
  }

  /** A response to one of our deliveries; false when the branch is not ours. */
  onResponse(branchId: string, response: SipResponse): boolean {
    const match = this.pending.get(branchId);
    if (!match) return branchId.startsWith(MESSAGE_PREFIX);
    const { delivery, branch } = match;
    if (response.status < 200 || branch.final !== undefined) return true;
    branch.final = response.status;
    clearTimeout(branch.retransmit);
    if (response.status < 300) {
      this.finish(delivery, response);
      return true;
    }
    if (!delivery.best || response.status < delivery.best.status) delivery.best = response;
    this.maybeFinish(delivery);
    return true;
  }

  private deliver(delivery: Delivery, binding: Binding, maxForwards: number): void {
    const id = `${MESSAGE_PREFIX}${randomToken(8)}`;
    const headers = new SipHeaders();
    headers.append("Via", this.options.ownVia(binding.flow.transport, id));
    for (const [name, value] of delivery.request.headers) {
      if (name === "Max-Forwards" || name === "Proxy-Authorization" || name === "Route") continue;
      headers.append(name, value);
    }
    headers.append("Max-Forwards", String(maxForwards));
    const wire = serializeMessage({ ...delivery.request, uri: binding.contact, headers });
    const branch: Branch = { id, flow: binding.flow, wire, final: undefined, retransmit: undefined };
    delivery.branches.push(branch);
    if (!this.options.send(binding.flow, wire)) {
      branch.final = 480;
      return;
    }
    this.pending.set(id, { delivery, branch });
    if (binding.flow.transport === "udp") this.retransmit(branch, T1);
  }

  private retransmit(branch: Branch, interval: number): void {
    branch.retransmit = setTimeout(() => {
      if (branch.final !== undefined) return;
      this.options.send(branch.flow, branch.wire);
      this.retransmit(branch, Math.min(interval * 2, T2));
    }, interval);
    branch.retransmit.unref?.();
  }

  private maybeFinish(delivery: Delivery): void {
    if (delivery.branches.some((b) => b.final === undefined)) return;
    this.finish(delivery, delivery.best ?? buildResponse(delivery.request, 480, "Temporarily Unavailable"));
  }

  private finish(delivery: Delivery, response: SipResponse): void {
    if (delivery.done) return;
    delivery.done = true;
    clearTimeout(delivery.timeout);
    for (const branch of delivery.branches) {
      clearTimeout(branch.retransmit);
      this.pending.delete(branch.id);
    }
    // The addressee's answer as the sender must see it: the sender's Via headers, not ours.
    const headers = new SipHeaders();
    for (const via of delivery.request.headers.getAll("Via")) headers.append("Via", via);
    for (const [name, value] of response.headers) if (name !== "Via") headers.append(name, value);
    this.options.respond(delivery.request, delivery.source, { ...response, headers });
  }
}
