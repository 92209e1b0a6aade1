import type { FeedEntry, FeedTopic } from "../../layers/core/services/change-feed.js";
import type { CallEvent } from "../events.js";

/**
 * Every frame the Linkus channel sends, as one union: the hub builds only these, the tests read
 * them, and docs/linkus-8111-protocol.md lists each `type` (a test checks the two agree).
 */
export type PresenceState = "registered" | "unregistered" | "on_call";

export interface PresenceEntry {
  extensionId: string;
  number: string;
  name: string;
  state: PresenceState;
}

/** A change-feed entry as sent: `entity` names what changed in the topic. */
export type ChangeEntry = FeedEntry;

export type ServerFrame =
  | {
      type: "hello";
      tenantId: string;
      extensionId: string;
      heartbeatSeconds: number;
      latest: Record<FeedTopic, number>;
    }
  | { type: "presence"; snapshot?: true; extensions: PresenceEntry[] }
  | ({ type: "change"; topic: FeedTopic } & ChangeEntry)
  | { type: "changes"; topic: FeedTopic; changes: ChangeEntry[] }
  | { type: "resync"; topic: FeedTopic; latest: number }
  | ({ type: "call" } & Omit<CallEvent, "tenantId">)
  | { type: "pong"; time: string }
  | { type: "error"; message: string };

export type ServerFrameType = ServerFrame["type"];

/** The frame types, for the protocol document's check (kept exhaustive by the compiler). */
export const SERVER_FRAME_TYPES = Object.keys({
  hello: true,
  presence: true,
  change: true,
  changes: true,
  resync: true,
  call: true,
  pong: true,
  error: true,
} satisfies Record<ServerFrameType, true>) as ServerFrameType[];

/**
 * The `entity` values each topic's entries carry (what the services append), for clients and
 * the protocol document.
 */
export const FEED_ENTITIES: Record<FeedTopic, readonly string[]> = {
  contacts: ["contact"],
  permissions: ["role", "linkusRule", "companyContactsRule"],
};

export function frame(message: ServerFrame): string {
  return JSON.stringify(message);
}
