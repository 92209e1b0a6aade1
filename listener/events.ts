import { EventEmitter } from "node:events";

/** What the SIP side tells the Linkus channel, in-process. */
export interface PresenceChange {
  tenantId: string;
  extensionId: string;
}

export interface CallEvent {
  tenantId: string;
  extensionId: string;
  callId: string;
  state: "ringing" | "answered" | "ended";
  direction: "outbound" | "inbound";
  peer: { number: string; name: string };
  /** For "ended": answered, missed, busy, no_answer, failed, cancelled. */
  result?: string;
  durationSeconds?: number;
}

export class ListenerEvents extends EventEmitter<{ presence: [PresenceChange]; call: [CallEvent] }> {}
