import type { SipRequest, SipResponse } from "../sip/message.js";
import { buildResponse, serializeMessage } from "../sip/serialize.js";
import { transactionKey } from "../sip/view.js";
import type { Flow } from "../transport/flow.js";
import { T1, T2, TIMER_H, TIMER_L } from "./timers.js";

/**
 * INVITE server transactions (RFC 3261 §17.2.1, with RFC 6026's Accepted state). A transaction is
 * created synchronously when the INVITE arrives, before any lookup or await, and answers 100
 * Trying at once: a retransmission that arrives while the caller is still being authenticated is
 * absorbed (the last response is sent again), never handled a second time. A non-2xx final is
 * retransmitted over UDP until its ACK, which the transaction absorbs. CANCEL finds the
 * transaction in every state.
 */
export type InviteServerState = "proceeding" | "completed" | "accepted" | "terminated";

export interface InviteServerTx {
  readonly key: string;
  readonly request: SipRequest;
  readonly source: Flow;
  state: InviteServerState;
  /** A CANCEL arrived; whoever handles the INVITE answers 487 as soon as it can. */
  cancelled: boolean;
  /** Called once when a CANCEL arrives while proceeding (the proxy cancels its branches). */
  onCancel: (() => void) | undefined;
  lastResponse: Buffer | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  retransmit: ReturnType<typeof setTimeout> | undefined;
}

export interface TransactionIo {
  send: (flow: Flow, data: Buffer) => void;
}

export class InviteServerTransactions {
  private readonly transactions = new Map<string, InviteServerTx>();

  constructor(private readonly io: TransactionIo) {}

  get size(): number {
    return this.transactions.size;
  }

  values(): IterableIterator<InviteServerTx> {
    return this.transactions.values();
  }

  /**
   * A new transaction (100 Trying already sent), or undefined when the INVITE retransmits one we
   * hold (the last response has been sent again).
   */
  receive(request: SipRequest, source: Flow): InviteServerTx | undefined {
    const key = transactionKey(request);
    const existing = this.transactions.get(key);
    if (existing) {
      if (existing.lastResponse && existing.state !== "accepted") this.io.send(existing.source, existing.lastResponse);
      return undefined;
    }
    const tx: InviteServerTx = {
      key,
      request,
      source,
      state: "proceeding",
      cancelled: false,
      onCancel: undefined,
      lastResponse: undefined,
      timer: undefined,
      retransmit: undefined,
    };
    this.transactions.set(key, tx);
    this.respond(tx, buildResponse(request, 100, "Trying"));
    return tx;
  }

  /** Sends a response within the transaction and moves it on (§17.2.1). */
  respond(tx: InviteServerTx, response: SipResponse): void {
    if (tx.state === "terminated") return;
    const wire = serializeMessage(response);
    if (response.status < 200) {
      if (tx.state !== "proceeding") return;
      tx.lastResponse = wire;
      this.io.send(tx.source, wire);
      return;
    }
    if (response.status < 300) {
      // 2xx retransmissions from the callee are forwarded by the proxy as they come (§16.7).
      this.io.send(tx.source, wire);
      if (tx.state !== "proceeding") return;
      tx.state = "accepted";
      tx.lastResponse = wire;
      this.finishAfter(tx, TIMER_L);
      return;
    }
    if (tx.state !== "proceeding") return;
    tx.state = "completed";
    tx.lastResponse = wire;
    this.io.send(tx.source, wire);
    if (tx.source.transport === "udp") this.retransmitFinal(tx, T1);
    this.finishAfter(tx, TIMER_H);
  }

  /** True when the ACK belongs to a non-2xx final of ours and is absorbed here (§17.2.1). */
  ack(request: SipRequest): boolean {
    const tx = this.transactions.get(transactionKey(request));
    if (!tx) return false;
    if (tx.state === "completed") {
      // Confirmed: Timer I would only absorb further ACKs, which the entry until Timer H does.
      clearTimeout(tx.retransmit);
      tx.retransmit = undefined;
    }
    return tx.state === "completed" || tx.state === "proceeding";
  }

  /** The INVITE transaction a CANCEL names (§9.2), whatever its state. */
  find(request: SipRequest): InviteServerTx | undefined {
    return this.transactions.get(transactionKey(request));
  }

  /** Marks the transaction cancelled; true when it was still proceeding (the INVITE gets 487). */
  cancel(tx: InviteServerTx): boolean {
    if (tx.state !== "proceeding" || tx.cancelled) return false;
    tx.cancelled = true;
    tx.onCancel?.();
    return true;
  }

  close(): void {
    for (const tx of this.transactions.values()) this.terminate(tx);
  }

  private retransmitFinal(tx: InviteServerTx, interval: number): void {
    tx.retransmit = setTimeout(() => {
      if (tx.state !== "completed" || !tx.lastResponse) return;
      this.io.send(tx.source, tx.lastResponse);
      this.retransmitFinal(tx, Math.min(interval * 2, T2));
    }, interval);
    tx.retransmit.unref?.();
  }

  private finishAfter(tx: InviteServerTx, ms: number): void {
    clearTimeout(tx.timer);
    tx.timer = setTimeout(() => this.terminate(tx), ms);
    tx.timer.unref?.();
  }

  private terminate(tx: InviteServerTx): void {
    tx.state = "terminated";
    clearTimeout(tx.timer);
    clearTimeout(tx.retransmit);
    if (this.transactions.get(tx.key) === tx) this.transactions.delete(tx.key);
  }
}
