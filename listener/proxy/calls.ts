import type { Deps } from "../../layers/core/deps.js";
import { logger } from "../../layers/core/logger.js";
import { writeRecord } from "../../layers/core/services/communications.js";
import type { ExtensionInfo } from "../directory.js";
import type { ListenerEvents } from "../events.js";

export type CallResult = "answered" | "busy" | "no_answer" | "failed" | "cancelled";

export interface Call {
  tenantId: string;
  caller: ExtensionInfo;
  callee: ExtensionInfo;
  callId: string;
  startedAt: Date;
}

/**
 * The calls this task carries, for call logs (two records per call through `writeRecord`), call
 * events and presence ("on a call"). A call is known by the task that proxied its INVITE; its
 * BYE may reach another task, which then relays it without a duration to log (docs/listener.md).
 */
export class CallRecords {
  private readonly ringing = new Map<string, Call>();
  private readonly answered = new Map<string, Call & { answeredAt: Date }>();

  constructor(
    private readonly deps: Deps,
    private readonly events: ListenerEvents,
  ) {}

  /** Extensions with a call ringing or in progress on this task, for one tenant. */
  activeCalls(tenantId: string): Set<string> {
    const out = new Set<string>();
    for (const call of [...this.ringing.values(), ...this.answered.values()]) {
      if (call.tenantId === tenantId) out.add(call.caller.id).add(call.callee.id);
    }
    return out;
  }

  started(call: Call): void {
    this.ringing.set(call.callId, call);
    this.emit(call, "ringing");
  }

  connected(call: Call): void {
    this.ringing.delete(call.callId);
    this.answered.set(call.callId, { ...call, answeredAt: new Date() });
    this.emit(call, "answered");
  }

  /** The attempt ended without an answer (or never rang: `ringing` false). */
  async failed(call: Call, result: Exclude<CallResult, "answered">): Promise<void> {
    const rang = this.ringing.delete(call.callId);
    await this.log(call, result, 0);
    if (rang) this.emit(call, "ended", result);
    else this.events.emit("presence", { tenantId: call.tenantId, extensionId: call.caller.id });
  }

  /** A BYE ended an answered call this task carried. */
  async hungUp(callId: string): Promise<void> {
    const call = this.answered.get(callId);
    if (!call) return;
    this.answered.delete(callId);
    const duration = Math.max(0, Math.round((Date.now() - call.answeredAt.getTime()) / 1000));
    await this.log(call, "answered", duration);
    this.emit(call, "ended", "answered", duration);
  }

  private async log(call: Call, result: CallResult, durationSeconds: number): Promise<void> {
    const startedAt = call.startedAt.toISOString();
    const calleeStatus = result === "cancelled" || result === "no_answer" ? "missed" : result;
    const record = (owner: ExtensionInfo, peer: ExtensionInfo, status: CallResult | "missed") =>
      writeRecord(this.deps, call.tenantId, owner.id, {
        kind: "call",
        name: peer.name,
        number: peer.number,
        direction: "internal",
        status,
        startedAt,
        durationSeconds,
      });
    try {
      await Promise.all([record(call.caller, call.callee, result), record(call.callee, call.caller, calleeStatus)]);
    } catch (error) {
      logger.error("Could not write a call log", { error: error as Error, tenantId: call.tenantId });
    }
  }

  private emit(call: Call, state: "ringing" | "answered" | "ended", result?: string, durationSeconds?: number): void {
    const extra = { ...(result ? { result } : {}), ...(durationSeconds !== undefined ? { durationSeconds } : {}) };
    const { events } = this;
    events.emit("call", {
      tenantId: call.tenantId,
      extensionId: call.caller.id,
      callId: call.callId,
      state,
      direction: "outbound",
      peer: { number: call.callee.number, name: call.callee.name },
      ...extra,
    });
    events.emit("call", {
      tenantId: call.tenantId,
      extensionId: call.callee.id,
      callId: call.callId,
      state,
      direction: "inbound",
      peer: { number: call.caller.number, name: call.caller.name },
      ...extra,
    });
    events.emit("presence", { tenantId: call.tenantId, extensionId: call.caller.id });
    events.emit("presence", { tenantId: call.tenantId, extensionId: call.callee.id });
  }
}
