import type { Deps } from "../layers/core/deps.js";
import { logger } from "../layers/core/logger.js";
import type { Answer, Authenticator } from "./auth/authenticator.js";
import type { Directory } from "./directory.js";
import type { ListenerEvents } from "./events.js";
import type { MediaRelay } from "./media/media-relay.js";
import { NOTIFY_PREFIX, Subscriptions } from "./presence/subscriptions.js";
import { CallRecords } from "./proxy/calls.js";
import { InDialogRelay } from "./proxy/in-dialog.js";
import { InviteProxy } from "./proxy/invite-proxy.js";
import { MESSAGE_PREFIX, MessageRelay } from "./proxy/message-relay.js";
import type { RouteSigner } from "./proxy/record-route.js";
import { STATEFUL_PREFIX, StatelessBranches, upstreamOf } from "./proxy/stateless.js";
import type { BindingStorage } from "./registrar/bindings.js";
import { Reachability } from "./registrar/reachability.js";
import { Registrar } from "./registrar/registrar.js";
import { SocketBindings } from "./registrar/socket-bindings.js";
import { SipParseError } from "./sip/errors.js";
import { isSipRequest, type SipMessage, type SipRequest, type SipResponse } from "./sip/message.js";
import { parseMessage } from "./sip/parser.js";
import { buildResponse, serializeMessage } from "./sip/serialize.js";
import { validateRequest } from "./sip/validate.js";
import { parseVia } from "./sip/via.js";
import { cseqOf, stampVia, tagOf, topVia } from "./sip/view.js";
import { InviteServerTransactions } from "./transaction/invite-server.js";
import { NonInviteServerTransactions } from "./transaction/non-invite-server.js";
import type { Flow, Transport } from "./transport/flow.js";
import { formatOwnContact, formatOwnVia } from "./transport/own-address.js";
import type { SipTransport, StreamEvent } from "./transport/sip-transport.js";

export const ALLOW =
  "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, INFO, UPDATE, REFER, PRACK";

export interface SipCoreOptions {
  deps: Deps;
  directory: Directory;
  /** The registrar's bindings (this task's memory, DynamoDB behind). */
  bindings: BindingStorage;
  /** Every task's bindings as DynamoDB holds them: what calls are routed by. */
  sharedBindings: BindingStorage;
  authenticator: Authenticator;
  signer: RouteSigner;
  events: ListenerEvents;
  taskId: string;
  /** Host written into Via and Record-Route (the load balancer's name or address in AWS). */
  advertisedHost: string;
  /** Key for stateless branches (derived from the master secret). */
  branchKey: Buffer;
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  noAnswerMs: number;
  voicemailCounts: (tenantId: string, extensionId: string) => Promise<{ new: number; old: number }>;
  mwiPollMs: number;
  /** rtpengine (listener/media/): undefined leaves all media end to end. */
  media?: MediaRelay | undefined;
}

/**
 * The SIP dispatcher (docs/listener.md): parse, stamp the top Via, then by method and by whether
 * the request is inside a dialog (a To tag): REGISTER to the registrar, initial INVITE to the
 * forking proxy, in-dialog requests to the relay along the signed route, everything else
 * answered here. An initial request is handled as initial whatever Route it carries: this proxy
 * never relays a request outside a dialog it record-routed.
 */
export class SipCore {
  transport: SipTransport | undefined;
  readonly calls: CallRecords;
  private readonly invites: InviteServerTransactions;
  private readonly nonInvites: NonInviteServerTransactions;
  private readonly registrar: Registrar;
  private readonly reachability: Reachability;
  private readonly proxy: InviteProxy;
  private readonly relay: InDialogRelay;
  private readonly messages: MessageRelay;
  readonly subscriptions: Subscriptions;
  private readonly branches: StatelessBranches;
  /** Bindings registered over WebSocket flows, removed when their socket closes. */
  readonly socketBindings: SocketBindings;
  private inFlight = 0;
  stats = { received: 0, malformed: 0, registers: 0, invites: 0 };

  constructor(private readonly options: SipCoreOptions) {
    const send = (flow: Flow, data: Buffer) => this.send(flow, data);
    this.reachability = new Reachability({ ...options, transport: () => this.transport });
    this.calls = new CallRecords(options.deps, options.events);
    this.invites = new InviteServerTransactions({ send });
    this.nonInvites = new NonInviteServerTransactions(send);
    this.branches = new StatelessBranches(options.branchKey);
    this.registrar = new Registrar({
      bindings: options.bindings,
      taskId: options.taskId,
      minExpires: options.minExpires,
      maxExpires: options.maxExpires,
      defaultExpires: options.defaultExpires,
      now: Date.now,
      onChange: (tenantId, extensionId) => this.reachability.changed(tenantId, extensionId),
    });
    this.socketBindings = new SocketBindings(options.bindings, (tenantId, extensionId) =>
      this.reachability.changed(tenantId, extensionId),
    );
    const host = options.advertisedHost;
    const ownVia = (transport: Transport, branch: string) =>
      formatOwnVia(host, this.transport?.portOf(transport), transport, branch);
    this.proxy = new InviteProxy({
      authenticator: options.authenticator,
      directory: options.directory,
      transactions: this.invites,
      signer: options.signer,
      calls: this.calls,
      routableBindings: (tenantId, callee) => this.reachability.routable(tenantId, callee),
      connectToBinding: (binding) => this.reachability.connect(binding),
      send,
      ownVia,
      noAnswerMs: options.noAnswerMs,
      media: options.media,
    });
    this.relay = new InDialogRelay({
      signer: options.signer,
      branches: this.branches,
      send,
      ownVia,
      media: options.media,
      onBye: (request, relayed) => {
        const callId = request.headers.get("Call-ID") ?? "";
        void this.calls.hungUp(callId);
        void options.media?.delete(callId, relayed);
      },
    });
    this.messages = new MessageRelay({
      authenticator: options.authenticator,
      directory: options.directory,
      routableBindings: (tenantId, callee) => this.reachability.routable(tenantId, callee),
      send,
      ownVia,
      respond: (request, flow, response) => this.respond(request, flow, response),
    });
    this.subscriptions = new Subscriptions({
      authenticator: options.authenticator,
      directory: options.directory,
      send,
      ownVia,
      ownContact: (transport) => formatOwnContact(host, this.transport?.portOf(transport), transport),
      voicemailCounts: options.voicemailCounts,
      minExpires: options.minExpires,
      maxExpires: options.maxExpires,
      mwiPollMs: options.mwiPollMs,
      maxSubscriptions: 100_000,
    });
    options.events.on("call", (event) => this.subscriptions.onCall(event));
  }

  close(): void {
    this.subscriptions.close();
    this.invites.close();
  }

  /** Calls in progress on this task, per tenant and extension (presence "on a call"). */
  activeCalls(tenantId: string): Set<string> {
    return this.calls.activeCalls(tenantId);
  }

  get busy(): number {
    return this.inFlight + this.proxy.size;
  }

  // -------------------------------------------------------------------------------------------
  // Entry points from the transport

  onDatagram(data: Buffer, flow: Flow): void {
    this.stats.received++;
    if (data.length <= 4 && data.toString("latin1").trim() === "") return; // CRLF keep-alive
    let message: SipMessage;
    try {
      message = parseMessage(data);
    } catch (error) {
      this.malformed(error, flow);
      return;
    }
    this.handle(message, flow);
  }

  onStreamEvent(event: StreamEvent, flow: Flow): void {
    this.stats.received++;
    if (event.type === "message") this.handle(event.message, flow);
    else this.malformed(event.error, flow);
  }

  /** A WebSocket closed: its browser's bindings go (docs/listener.md, "SIP over WebSocket"). */
  onFlowClosed(flow: Flow): void {
    this.track(this.socketBindings.closed(flow), () => {});
  }

  private malformed(error: unknown, flow: Flow): void {
    this.stats.malformed++;
    if (error instanceof SipParseError && error.isRequest && error.request) {
      this.send(flow, serializeMessage(buildResponse(error.request, error.status, error.reason)));
    }
  }

  private handle(message: SipMessage, flow: Flow): void {
    try {
      if (isSipRequest(message)) this.onRequest(message, flow);
      else this.onResponse(message, flow);
    } catch (error) {
      logger.error("SIP message handling failed", { error: error as Error });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  private onRequest(received: SipRequest, flow: Flow): void {
    const problems = validateRequest(received);
    if (problems.length > 0) {
      this.stats.malformed++;
      if (received.method !== "ACK") this.answer(received, flow, { status: 400, reason: problems[0] ?? "Bad Request" });
      return;
    }
    const request = this.options.signer.withoutOwnRoute(stampVia(received, flow));
    if (request.method === "CANCEL") {
      this.cancel(request, flow);
      return;
    }
    if (request.method === "ACK") {
      // The ACK of our own non-2xx final ends in its transaction (§17.2.1); a 2xx's is in-dialog.
      if (!this.invites.ack(request)) this.relayInDialog(request, flow);
      return;
    }
    if (tagOf(request.headers.get("To")) !== undefined) {
      if (request.method === "SUBSCRIBE" && this.subscriptions.owns(request)) {
        if (!this.nonInvites.receive(request, flow)) return;
        this.track(
          this.subscriptions.refresh(request).then((answer) => this.answer(request, flow, answer)),
          () => this.nonInvites.abandon(request, flow),
        );
        return;
      }
      this.relayInDialog(request, flow);
      return;
    }
    if (request.method === "INVITE") {
      // The transaction exists before any await: retransmissions are absorbed from here on.
      const tx = this.invites.receive(request, flow);
      if (!tx) return;
      this.stats.invites++;
      this.track(this.proxy.handle(tx), () => {
        this.invites.respond(tx, buildResponse(tx.request, 500, "Server Internal Error"));
      });
      return;
    }
    if (!this.nonInvites.receive(request, flow)) return;
    this.track(this.local(request, flow), () => {
      this.nonInvites.abandon(request, flow);
      this.answer(request, flow, { status: 500, reason: "Server Internal Error" });
    });
  }

  /** Initial non-INVITE requests, answered by this listener. */
  private async local(request: SipRequest, flow: Flow): Promise<void> {
    switch (request.method) {
      case "REGISTER":
        this.stats.registers++;
        return this.answer(request, flow, await this.register(request, flow));
      case "OPTIONS":
        return this.answer(request, flow, {
          status: 200,
          reason: "OK",
          headers: [
            ["Allow", ALLOW],
            ["Accept", "application/sdp"],
            ["Supported", "path, outbound"],
          ],
        });
      case "MESSAGE": {
        const answer = await this.messages.handle(request, flow);
        if (answer) this.answer(request, flow, answer);
        return;
      }
      case "SUBSCRIBE":
        return this.answer(request, flow, await this.subscriptions.subscribe(request, flow));
      case "PUBLISH":
        // No presence state is taken from phones: the listener knows it from registrations and calls.
        return this.answer(request, flow, { status: 405, reason: "Method Not Allowed", headers: [["Allow", ALLOW]] });
      case "BYE":
      case "UPDATE":
      case "INFO":
      case "PRACK":
      case "NOTIFY":
      case "REFER":
        // These exist only inside a dialog (§15, RFC 3311/6086/3262/6665/3515): without a To tag there is none.
        return this.answer(request, flow, { status: 481, reason: "Call/Transaction Does Not Exist" });
      default:
        return this.answer(request, flow, { status: 405, reason: "Method Not Allowed", headers: [["Allow", ALLOW]] });
    }
  }

  private async register(request: SipRequest, flow: Flow): Promise<Answer> {
    const { authenticator } = this.options;
    const outcome = await authenticator.authenticate(request, flow);
    if ("answer" in outcome) return outcome.answer;
    const answer = await this.registrar.register(request, flow, outcome.tenant, outcome.identity);
    if (flow.transport === "ws" && answer.status === 200) {
      this.socketBindings.registered(flow, outcome.tenant.id, outcome.identity.extension.id);
    }
    return answer;
  }

  private relayInDialog(request: SipRequest, flow: Flow): void {
    const answer = this.relay.relay(request);
    if (answer instanceof Promise) {
      this.track(
        answer.then((result) => {
          if (result) this.answer(request, flow, result);
        }),
        () => this.answer(request, flow, { status: 500, reason: "Server Internal Error" }),
      );
    } else if (answer) this.answer(request, flow, answer);
  }

  private cancel(request: SipRequest, flow: Flow): void {
    const tx = this.invites.find(request);
    if (!tx) {
      this.answer(request, flow, { status: 481, reason: "Call/Transaction Does Not Exist" });
      return;
    }
    this.answer(request, flow, { status: 200, reason: "OK" });
    // Still authenticating or looking up: the handler answers 487 when it looks again. Forking:
    // the branches are cancelled and the 487 follows when they have answered.
    this.invites.cancel(tx);
  }

  // -------------------------------------------------------------------------------------------
  // Responses

  private onResponse(response: SipResponse, flow: Flow): void {
    const via = topVia(response);
    const branch = via?.params.get("branch") ?? undefined;
    if (!branch) return;
    const method = cseqOf(response)?.method ?? "";
    if (branch.startsWith(STATEFUL_PREFIX)) {
      this.proxy.onResponse(branch, method, response);
      return;
    }
    if (branch.startsWith(MESSAGE_PREFIX)) {
      this.messages.onResponse(branch, response);
      return;
    }
    if (branch.startsWith(NOTIFY_PREFIX)) {
      this.subscriptions.onResponse(branch, response);
      return;
    }
    const upstream = upstreamOf(this.branches, response, branch, parseVia);
    if (!upstream) return; // not a branch of ours: never relayed
    const relayed = this.relay.response(response, flow, upstream);
    if (relayed) this.track(relayed, () => {});
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  private answer(request: SipRequest, flow: Flow, answer: Answer): void {
    const extras = { headers: answer.headers ?? [], ...(answer.toTag ? { toTag: answer.toTag } : {}) };
    this.respond(request, flow, buildResponse(request, answer.status, answer.reason, extras));
  }

  /** Sends the final answer of a non-INVITE server transaction (kept for retransmissions). */
  private respond(request: SipRequest, flow: Flow, response: SipResponse): void {
    const wire = serializeMessage(response);
    this.nonInvites.complete(request, flow, wire);
    this.send(flow, wire);
  }

  private send(flow: Flow, data: Buffer): boolean {
    return this.transport?.send(flow, data) ?? false;
  }

  /** Counts work in flight (shutdown waits for it) and turns a failure into an answer. */
  private track(work: Promise<void>, onError: () => void): void {
    this.inFlight++;
    work
      .catch((error: unknown) => {
        logger.error("SIP request handling failed", { error: error as Error });
        try {
          onError();
        } catch {}
      })
      .finally(() => {
        this.inFlight--;
      });
  }

  prune(): void {
    this.nonInvites.prune();
  }
}
