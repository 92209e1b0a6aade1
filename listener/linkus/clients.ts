import type { WebSocket } from "ws";
import * as z from "zod";
import type { FeedEntry, FeedTopic } from "../../layers/core/services/change-feed.js";
import { frame, type ServerFrame } from "./frames.js";
import type { RegistrationState } from "./registered.js";

/** A Linkus client once authenticated, and what the hub keeps per tenant while it has clients. */
export interface Client {
  ws: WebSocket;
  tenantId: string;
  extensionId: string;
  sessionId: string;
  cursors: Record<FeedTopic, number>;
  catchingUp: Record<FeedTopic, boolean>;
  lastSeen: number;
  awaitingPong: boolean;
}

export interface TenantState {
  clients: Set<Client>;
  heads: Record<FeedTopic, number>;
  presence: Map<string, string>;
  polling: boolean;
  presenceTimer: NodeJS.Timeout | undefined;
  /** A presence refresh is running; `presenceAgain` asks for one more when it ends. */
  presenceBusy: boolean;
  presenceAgain: boolean;
  /** Which of its extensions are registered (see registered.ts). */
  registrations: RegistrationState;
}

export function newTenantState(): TenantState {
  return {
    clients: new Set(),
    heads: { contacts: -1, permissions: -1 },
    presence: new Map(),
    polling: false,
    presenceTimer: undefined,
    presenceBusy: false,
    presenceAgain: false,
    registrations: { view: undefined, listing: undefined },
  };
}

export const TOPICS: readonly FeedTopic[] = ["contacts", "permissions"];

/** Writes frames to one client, closing it (4008) when its unsent backlog passes the cap. */
export class FrameSender {
  constructor(
    private readonly maxBufferedBytes: number,
    private readonly stats: { dropped: number },
  ) {}

  send(client: Client, message: ServerFrame): void {
    this.sendRaw(client, frame(message));
  }

  sendRaw(client: Client, wire: string): void {
    if (client.ws.readyState !== client.ws.OPEN) return;
    if (client.ws.bufferedAmount + wire.length > this.maxBufferedBytes) {
      this.stats.dropped++;
      client.ws.close(4008, "Too slow: reconnect with your cursors");
      client.ws.terminate();
      return;
    }
    client.ws.send(wire);
  }
}

/**
 * Sockets written to between turns of the event loop in a fan-out: a write costs ~30 µs, so a
 * frame to 10,000 clients in one go would hold SIP up for ~300 ms; in turns of 500, ~15 ms.
 */
const WRITES_PER_TURN = 500;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Visits every client, `send` saying whether it wrote to that one, and yields to the event loop
 * every WRITES_PER_TURN writes. Clients connecting meanwhile join the end of the set and are
 * visited too.
 */
export async function inTurns(clients: Iterable<Client>, send: (client: Client) => boolean): Promise<void> {
  let written = 0;
  for (const client of clients) {
    if (send(client) && ++written % WRITES_PER_TURN === 0) await nextTurn();
  }
}

const cursorsSchema = z
  .object({ contacts: z.number().int().min(0).optional(), permissions: z.number().int().min(0).optional() })
  .optional();
const clientMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auth"), token: z.string().min(1).max(4096), cursors: cursorsSchema }),
  z.object({ type: z.literal("resume"), cursors: cursorsSchema }),
  z.object({ type: z.literal("ping") }),
]);
export type ClientMessage = z.output<typeof clientMessage>;

export function parseClientMessage(data: unknown): ClientMessage | undefined {
  try {
    const text = Buffer.isBuffer(data)
      ? data.toString("utf8")
      : Array.isArray(data)
        ? Buffer.concat(data).toString("utf8")
        : String(data);
    const result = clientMessage.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The frame for changes sent together, in sequence order: `change` for one, `changes` for several
 * (a poll or catch-up page), so a burst is one socket write per page.
 */
export function changesFrame(topic: FeedTopic, changes: readonly FeedEntry[]): string {
  const [only] = changes;
  return changes.length === 1 && only
    ? frame({ type: "change", topic, ...only })
    : frame({ type: "changes", topic, changes: [...changes] });
}
