import type { SipRequest } from "../sip/message.js";
import type { Flow } from "../transport/flow.js";
import { TIMER_J } from "./timers.js";

/**
 * Non-INVITE server transactions over UDP (RFC 3261 §17.2.2), for the requests this listener
 * answers itself (REGISTER, OPTIONS, MESSAGE, SUBSCRIBE, NOTIFY-less others). A retransmission is
 * not a new request: handling it again would repeat the writes, and its reused nonce count would
 * get a stale 401 that can overtake the 200. One still being handled is absorbed; one after the
 * answer gets the answer again, until Timer J. Bounded: a flood of distinct branches cannot grow
 * memory past `max` (oldest answers forgotten first). Insertion order is expiry order.
 */
export class NonInviteServerTransactions {
  private readonly transactions = new Map<string, { response: Buffer; until: number } | null>();

  constructor(
    private readonly send: (flow: Flow, data: Buffer) => void,
    private readonly now: () => number = Date.now,
    private readonly max = 50_000,
  ) {}

  /** True when the request starts a transaction to handle; false when it was a retransmission (dealt with). */
  receive(request: SipRequest, flow: Flow): boolean {
    if (flow.transport !== "udp") return true; // reliable transports do not retransmit
    const key = keyOf(request, flow);
    const tx = this.transactions.get(key);
    if (tx === null) return false;
    if (tx && tx.until > this.now()) {
      this.send(flow, tx.response);
      return false;
    }
    this.transactions.delete(key);
    this.transactions.set(key, null);
    return true;
  }

  /** Records the final answer sent for a transaction being handled. */
  complete(request: SipRequest, flow: Flow, response: Buffer): void {
    if (flow.transport !== "udp") return;
    const key = keyOf(request, flow);
    if (this.transactions.get(key) !== null) return; // not a transaction being handled
    this.transactions.delete(key);
    this.transactions.set(key, { response, until: this.now() + TIMER_J });
    if (this.transactions.size <= this.max) return;
    for (const [oldKey, tx] of this.transactions) {
      if (this.transactions.size <= this.max) break;
      if (tx !== null) this.transactions.delete(oldKey);
    }
  }

  /** The handler failed without answering: forget it, so a retransmission is handled afresh. */
  abandon(request: SipRequest, flow: Flow): void {
    const key = keyOf(request, flow);
    if (this.transactions.get(key) === null) this.transactions.delete(key);
  }

  get size(): number {
    return this.transactions.size;
  }

  prune(): void {
    const now = this.now();
    for (const [key, tx] of this.transactions) {
      if (tx === null) continue;
      if (tx.until > now) break;
      this.transactions.delete(key);
    }
  }
}

/**
 * A retransmission repeats the source, the top Via's branch, Call-ID and CSeq; a new request (an
 * answer to a challenge) has a higher CSeq even from a phone that reuses its branch or sends none
 * (RFC 2543), so it is never mistaken for a retransmission of the challenged one.
 */
function keyOf(request: SipRequest, flow: Flow): string {
  const via = request.headers.get("Via") ?? "";
  const branch = /;\s*branch\s*=\s*([^;,\s]+)/i.exec(via)?.[1] ?? "";
  return `${flow.address}:${flow.port}/${branch}/${request.headers.get("Call-ID") ?? ""}/${request.headers.get("CSeq") ?? ""}`;
}
