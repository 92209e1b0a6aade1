import { logger } from "../../layers/core/logger.js";
import type { Answer, Authenticator } from "../auth/authenticator.js";
import type { Directory, ExtensionInfo } from "../directory.js";
import type { MediaRelay } from "../media/media-relay.js";
import type { Binding } from "../registrar/bindings.js";
import { parseMaxForwards } from "../sip/headers.js";
import type { SipRequest, SipResponse } from "../sip/message.js";
import { randomToken } from "../sip/random.js";
import { buildResponse, serializeMessage } from "../sip/serialize.js";
import { requestUser, tagOf } from "../sip/view.js";
import type { InviteServerTransactions, InviteServerTx } from "../transaction/invite-server.js";
import { T1, T2, TIMER_B } from "../transaction/timers.js";
import { type Flow, sameFlow, type Transport } from "../transport/flow.js";
import { answerThroughRelay, type BranchMedia, hangUpAnswered, offerThroughRelay, withoutBody } from "./call-media.js";
import type { CallRecords } from "./calls.js";
import { finalRank, forwardedInvite, hopByHop, upstreamCopy } from "./proxy-messages.js";
import type { RouteSigner } from "./record-route.js";
import { STATEFUL_PREFIX } from "./stateless.js";

export interface InviteProxyOptions {
  authenticator: Authenticator;
  directory: Directory;
  transactions: InviteServerTransactions;
  signer: RouteSigner;
  calls: CallRecords;
  /** Bindings a call may use now (phones within the limit, Linkus clients with a live session). */
  routableBindings: (tenantId: string, callee: ExtensionInfo) => Promise<Binding[]>;
  /** A new connection to a TCP binding's Contact (its registered connection is gone): its flow, or undefined. */
  connectToBinding: (binding: Binding) => Promise<Flow | undefined>;
  send: (flow: Flow, data: Buffer) => boolean;
  ownVia: (transport: Transport, branch: string) => string;
  /** Ringing longer than this ends the attempt (CANCEL to the branches, 480 upstream). */
  noAnswerMs: number;
  /** rtpengine, when configured: bridges browsers to phones and relays phones behind NAT. */
  media?: MediaRelay | undefined;
}

interface ClientBranch {
  id: string;
  request: SipRequest;
  flow: Flow;
  wire: Buffer;
  provisional: boolean;
  final: number | undefined;
  retransmit: ReturnType<typeof setTimeout> | undefined;
  timeout: ReturnType<typeof setTimeout> | undefined;
  /** Its media goes through rtpengine: responses with SDP are rewritten, in order. */
  media: BranchMedia | undefined;
  /** rtpengine could not answer its 2xx: the callee was hung up, the branch counts as 503. */
  mediaFailed: boolean;
  responses: Promise<void>;
}

interface Attempt {
  tx: InviteServerTx;
  callId: string;
  tenantId: string;
  caller: ExtensionInfo;
  callee: ExtensionInfo;
  startedAt: Date;
  branches: ClientBranch[];
  answered: boolean;
  finished: boolean;
  best: SipResponse | undefined;
  noAnswer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The stateful forking proxy for initial INVITEs (RFC 3261 §16): authenticate the caller (407),
 * find the callee among the tenant's extensions, fork to every binding in parallel with a signed
 * Record-Route, send 1xx and the first 2xx upstream, CANCEL the other branches, and answer the
 * best final when every branch failed (§16.7, 486 before the lowest code, 408 last).
 */
export class InviteProxy {
  private readonly branches = new Map<string, { attempt: Attempt; branch: ClientBranch }>();

  constructor(private readonly options: InviteProxyOptions) {}

  get size(): number {
    return this.branches.size;
  }

  /** Handles a new INVITE server transaction (already answered 100 Trying). */
  async handle(tx: InviteServerTx): Promise<void> {
    const { request } = tx;
    const { transactions } = this.options;
    const finish = (answer: Answer) =>
      transactions.respond(tx, buildResponse(request, answer.status, answer.reason, { headers: answer.headers ?? [] }));
    const maxForwards = parseMaxForwards(request.headers.get("Max-Forwards") ?? "70") ?? 70;
    if (maxForwards <= 0) return finish({ status: 483, reason: "Too Many Hops" });
    // A CANCEL may arrive during any await below: once it has, the INVITE's answer is 487 (§9.2).
    const terminated = { status: 487, reason: "Request Terminated" };
    const outcome = await this.options.authenticator.authenticate(request, tx.source);
    if (tx.cancelled) return finish(terminated);
    if ("answer" in outcome) return finish(outcome.answer);
    const tenantId = outcome.tenant.id;
    const target = requestUser(request);
    const { directory } = this.options;
    const callee = await directory.extensionByTarget(tenantId, target);
    if (tx.cancelled) return finish(terminated);
    if (!callee) return finish({ status: 404, reason: "Not Found" });
    const attempt: Attempt = {
      tx,
      callId: request.headers.get("Call-ID") ?? "",
      tenantId,
      caller: outcome.identity.extension,
      callee,
      startedAt: new Date(),
      branches: [],
      answered: false,
      finished: false,
      best: undefined,
      noAnswer: undefined,
    };
    const bindings = (await this.options.routableBindings(tenantId, callee)).filter(
      (b) => !sameFlow(b.flow, tx.source), // never ring the phone that is calling
    );
    if (tx.cancelled) return finish(terminated);
    if (bindings.length === 0) {
      finish({ status: 480, reason: "Temporarily Unavailable" });
      await this.options.calls.failed(attempt, "no_answer");
      return;
    }
    tx.onCancel = () => {
      for (const branch of attempt.branches) this.cancelBranch(branch);
    };
    this.options.calls.started(attempt);
    attempt.noAnswer = setTimeout(() => this.giveUp(attempt), this.options.noAnswerMs);
    await Promise.all(bindings.map((binding) => this.fork(attempt, binding, maxForwards - 1)));
    this.maybeFinish(attempt);
  }

  /** A response whose top Via branch is one of our forked INVITEs (or their CANCELs). */
  onResponse(branchId: string, method: string, response: SipResponse): boolean {
    const match = this.branches.get(branchId);
    if (!match) return branchId.startsWith(STATEFUL_PREFIX); // ours but forgotten: drop it
    if (method !== "INVITE") return true;
    const { attempt, branch } = match;
    if (branch.mediaFailed && response.status < 300) {
      // A retransmitted 2xx of a branch already hung up (below): its ACK or BYE was lost.
      if (response.status >= 200) hangUpAnswered(response, branch.flow, this.options.send, this.options.ownVia);
      return true;
    }
    if (branch.media && response.body.length > 0 && response.status < 300 && response.status > 100) {
      // rtpengine answers asynchronously: responses of the branch stay in order behind it.
      branch.responses = branch.responses.then(async () => {
        let relayed: SipResponse;
        try {
          relayed = await this.relayedAnswer(attempt, branch, response);
        } catch (error) {
          logger.error("Media relay answer failed", { error: error as Error, callId: attempt.callId });
          this.mediaFailed(attempt, branch, response);
          return;
        }
        this.branchResponse(attempt, branch, relayed);
      });
    } else if (branch.media) {
      branch.responses = branch.responses.then(() => this.branchResponse(attempt, branch, response));
    } else this.branchResponse(attempt, branch, response);
    return true; // the answer to a CANCEL we sent ends here
  }

  private async fork(attempt: Attempt, binding: Binding, maxForwards: number): Promise<void> {
    const id = `${STATEFUL_PREFIX}${randomToken(8)}`;
    const branch: ClientBranch = {
      id,
      request: attempt.tx.request,
      flow: binding.flow,
      wire: Buffer.alloc(0),
      provisional: false,
      final: undefined,
      retransmit: undefined,
      timeout: undefined,
      media: undefined,
      mediaFailed: false,
      responses: Promise.resolve(),
    };
    attempt.branches.push(branch);
    this.branches.set(id, { attempt, branch });
    const body = await this.relayedOffer(attempt, binding, branch);
    if (body === undefined) {
      branch.final = 503;
      return;
    }
    // The flow is known before sending only for UDP and live connections; a TCP binding whose
    // connection dropped is reached by connecting to its Contact, and that connection's flow is
    // the one the dialog's route must carry. Build with the binding's flow, rebuild if it changed.
    const media = branch.media !== undefined;
    let forwarded = this.forwardedInvite(attempt, binding, binding.flow, id, maxForwards, body, media);
    let wire = serializeMessage(forwarded);
    let flow: Flow | undefined = binding.flow;
    if (!this.options.send(binding.flow, wire)) {
      flow = await this.options.connectToBinding(binding);
      if (flow) {
        forwarded = this.forwardedInvite(attempt, binding, flow, id, maxForwards, body, media);
        wire = serializeMessage(forwarded);
        if (!this.options.send(flow, wire)) flow = undefined;
      }
    }
    if (!flow) {
      branch.final = 480;
      return;
    }
    branch.request = forwarded;
    branch.flow = flow;
    branch.wire = wire;
    if (flow.transport === "udp") this.scheduleRetransmit(branch, T1);
    branch.timeout = setTimeout(
      () => this.branchFinal(attempt, branch, buildResponse(forwarded, 408, "Request Timeout")),
      TIMER_B,
    );
  }

  private forwardedInvite(
    attempt: Attempt,
    binding: Binding,
    flow: Flow,
    branchId: string,
    maxForwards: number,
    body: Buffer,
    media: boolean,
  ): SipRequest {
    const { request, source } = attempt.tx;
    const recordRoutes = this.options.signer.recordRoutes(attempt.callId, {
      callerTag: tagOf(request.headers.get("From")) ?? "",
      caller: source,
      callee: flow,
      issuedAtMs: Date.now(),
      media,
    });
    const via = this.options.ownVia(flow.transport, branchId);
    return forwardedInvite(request, { via, recordRoutes, contact: binding.contact, maxForwards, body });
  }

  /** The INVITE body for this branch (call-media.ts); undefined: a bridge was needed and failed. */
  private async relayedOffer(attempt: Attempt, binding: Binding, branch: ClientBranch): Promise<Buffer | undefined> {
    const offer = await offerThroughRelay(this.options.media, attempt.callId, attempt.tx, binding, branch.id);
    branch.media = offer.legs;
    return offer.body;
  }

  private relayedAnswer(attempt: Attempt, branch: ClientBranch, response: SipResponse): Promise<SipResponse> {
    return answerThroughRelay(
      this.options.media,
      attempt.callId,
      attempt.tx.request,
      branch.id,
      branch.media,
      response,
    );
  }

  private scheduleRetransmit(branch: ClientBranch, interval: number): void {
    branch.retransmit = setTimeout(() => {
      if (branch.provisional || branch.final !== undefined) return;
      this.options.send(branch.flow, branch.wire);
      this.scheduleRetransmit(branch, Math.min(interval * 2, T2));
    }, interval);
  }

  private branchResponse(attempt: Attempt, branch: ClientBranch, response: SipResponse): void {
    if (response.status < 200) {
      branch.provisional = true;
      if (response.status === 100 || attempt.finished) return;
      this.options.transactions.respond(attempt.tx, upstreamCopy(attempt.tx.request, response));
      return;
    }
    if (response.status < 300) {
      clearTimeout(branch.retransmit);
      clearTimeout(branch.timeout);
      branch.final = response.status;
      // Every 2xx goes upstream, retransmissions and other branches' too: the caller's ACK ends them (§16.7 step 5).
      this.options.transactions.respond(attempt.tx, upstreamCopy(attempt.tx.request, response));
      if (attempt.answered) return;
      attempt.answered = true;
      attempt.finished = true;
      clearTimeout(attempt.noAnswer);
      for (const other of attempt.branches) if (other !== branch) this.cancelBranch(other);
      this.options.calls.connected(attempt);
      this.retire(attempt);
      return;
    }
    this.branchFinal(attempt, branch, response);
  }

  /**
   * rtpengine could not answer the SDP of this branch's response. A provisional goes on without
   * its SDP (no early media, the call still rings); a 2xx is not passed on: the callee gets ACK
   * and BYE (call-media.ts) and the branch fails with 503, so the caller is answered 503 when no
   * other branch answers, never left in a call with no media path.
   */
  private mediaFailed(attempt: Attempt, branch: ClientBranch, response: SipResponse): void {
    if (response.status < 200) {
      this.branchResponse(attempt, branch, withoutBody(response));
      return;
    }
    branch.mediaFailed = true;
    hangUpAnswered(response, branch.flow, this.options.send, this.options.ownVia);
    clearTimeout(branch.retransmit);
    clearTimeout(branch.timeout);
    if (branch.final !== undefined) return;
    branch.final = 503;
    const failed = buildResponse(attempt.tx.request, 503, "Media Relay Unavailable");
    if (!attempt.best || finalRank(failed.status) < finalRank(attempt.best.status)) attempt.best = failed;
    this.maybeFinish(attempt);
  }

  private branchFinal(attempt: Attempt, branch: ClientBranch, response: SipResponse): void {
    clearTimeout(branch.retransmit);
    clearTimeout(branch.timeout);
    if (branch.final === undefined && response.status !== 408) this.ackBranch(branch, response);
    if (branch.final !== undefined) return; // a retransmission (already ACKed above only the first time)
    branch.final = response.status;
    if (!attempt.best || finalRank(response.status) < finalRank(attempt.best.status)) attempt.best = response;
    this.maybeFinish(attempt);
  }

  private maybeFinish(attempt: Attempt): void {
    if (attempt.finished || attempt.branches.some((b) => b.final === undefined)) return;
    attempt.finished = true;
    clearTimeout(attempt.noAnswer);
    const { tx } = attempt;
    const best = tx.cancelled
      ? buildResponse(tx.request, 487, "Request Terminated")
      : attempt.best
        ? upstreamCopy(attempt.tx.request, attempt.best)
        : buildResponse(tx.request, 480, "Temporarily Unavailable");
    this.options.transactions.respond(tx, best);
    const status = best.status;
    const result =
      tx.cancelled || status === 487
        ? "cancelled"
        : status === 486 || status === 600
          ? "busy"
          : status === 480 || status === 408
            ? "no_answer"
            : "failed";
    void this.options.calls.failed(attempt, result);
    if (attempt.branches.some((b) => b.media)) void this.options.media?.delete(attempt.callId);
    this.retire(attempt);
  }

  /** Keeps the branches a while to absorb retransmitted answers, then forgets them. */
  private retire(attempt: Attempt): void {
    setTimeout(() => {
      for (const branch of attempt.branches) {
        clearTimeout(branch.retransmit);
        clearTimeout(branch.timeout);
        this.branches.delete(branch.id);
      }
    }, TIMER_B).unref();
  }

  private giveUp(attempt: Attempt): void {
    if (attempt.finished) return;
    for (const branch of attempt.branches) this.cancelBranch(branch);
    attempt.best = buildResponse(attempt.tx.request, 480, "Temporarily Unavailable");
  }

  private cancelBranch(branch: ClientBranch): void {
    if (branch.final !== undefined || branch.wire.length === 0) return;
    this.options.send(
      branch.flow,
      serializeMessage(hopByHop(branch.request, "CANCEL", branch.request.headers.get("To"))),
    );
  }

  private ackBranch(branch: ClientBranch, response: SipResponse): void {
    const to = response.headers.get("To") ?? branch.request.headers.get("To");
    this.options.send(branch.flow, serializeMessage(hopByHop(branch.request, "ACK", to)));
  }
}
