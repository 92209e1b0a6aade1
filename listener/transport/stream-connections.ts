import type { Socket } from "node:net";
import type { SipParseError } from "../sip/errors.js";
import type { SipMessage } from "../sip/message.js";
import { SipStreamFramer } from "../sip/stream.js";
import { type Flow, flowKey, type Transport } from "./flow.js";

/** A framed stream message, or the framing error that ends the connection (answer, then close). */
export type StreamEvent = { type: "message"; message: SipMessage } | { type: "error"; error: SipParseError };

/**
 * What a TCP or TLS connection may cost before it has proved itself (docs/listener.md, "Limits").
 * A connection's memory is bounded by the framer's message size limit (64 KiB by default).
 */
export interface StreamLimits {
  /** A new connection must deliver its first complete message within this. */
  firstMessageMs: number;
  /** Once a message has begun, it must be complete within this (slowloris). */
  messageMs: number;
  /** Idle limit until a request on the connection authenticated. */
  untrustedIdleMs: number;
  /** Idle limit after that (phones keep connections alive with CRLF pings, RFC 5626 §4.4.1). */
  trustedIdleMs: number;
  /** Connections from one IP address at most (an office behind NAT shares one). */
  maxPerIp: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  firstMessageMs: 10_000,
  messageMs: 10_000,
  untrustedIdleMs: 30_000,
  trustedIdleMs: 300_000,
  maxPerIp: 64,
};

interface Connection {
  socket: Socket;
  trusted: boolean;
}

/** The open TCP/TLS connections of this task, by flow, with their deadlines. */
export class StreamConnections {
  private readonly connections = new Map<string, Connection>();
  private readonly perIp = new Map<string, number>();
  stats = { refusedPerIp: 0, timedOut: 0 };

  constructor(
    private readonly limits: StreamLimits,
    private readonly onEvent: (event: StreamEvent, flow: Flow) => void,
  ) {}

  get size(): number {
    return this.connections.size;
  }

  socketOf(flow: Flow): Socket | undefined {
    const socket = this.connections.get(flowKey(flow))?.socket;
    return socket && !socket.destroyed ? socket : undefined;
  }

  /** The flow authenticated a request: give its connection the longer idle limit. */
  trust(flow: Flow): void {
    const connection = this.connections.get(flowKey(flow));
    if (!connection || connection.trusted) return;
    connection.trusted = true;
    connection.socket.setTimeout(this.limits.trustedIdleMs);
  }

  destroyAll(): void {
    for (const { socket } of this.connections.values()) socket.destroy();
    this.connections.clear();
  }

  /**
   * Takes a connection: accepted (`outbound` false, subject to the per-IP cap and the first
   * message deadline) or opened by us to a phone's Contact (trusted: the phone registered).
   * Undefined when it was refused.
   */
  adopt(socket: Socket, transport: Transport, outbound = false): Flow | undefined {
    const flow: Flow = {
      transport,
      address: normalizeAddress(socket.remoteAddress ?? ""),
      port: socket.remotePort ?? 0,
    };
    const count = this.perIp.get(flow.address) ?? 0;
    if (!outbound && count >= this.limits.maxPerIp) {
      this.stats.refusedPerIp++;
      socket.destroy();
      return undefined;
    }
    this.perIp.set(flow.address, count + 1);
    const key = flowKey(flow);
    const connection: Connection = { socket, trusted: outbound };
    this.connections.set(key, connection);
    const framer = new SipStreamFramer();
    const expire = () => {
      this.stats.timedOut++;
      socket.destroy();
    };
    let firstMessage = outbound ? undefined : setTimeout(expire, this.limits.firstMessageMs);
    let partial: ReturnType<typeof setTimeout> | undefined;
    socket.setTimeout(outbound ? this.limits.trustedIdleMs : this.limits.untrustedIdleMs, expire);
    socket.on("data", (chunk: Buffer) => {
      let events: ReturnType<SipStreamFramer["feed"]>;
      try {
        events = framer.feed(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const event of events) {
        if (event.type === "ping") {
          socket.write("\r\n");
          continue;
        }
        this.onEvent(event, flow);
        if (event.type === "error") {
          socket.end();
          return;
        }
        clearTimeout(firstMessage);
        firstMessage = undefined;
      }
      // A message under way must finish in time, however slowly its bytes trickle in.
      if (framer.buffered === 0) {
        clearTimeout(partial);
        partial = undefined;
      } else partial ??= setTimeout(expire, this.limits.messageMs);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(firstMessage);
      clearTimeout(partial);
      if (this.connections.get(key) === connection) this.connections.delete(key);
      const left = (this.perIp.get(flow.address) ?? 1) - 1;
      if (left > 0) this.perIp.set(flow.address, left);
      else this.perIp.delete(flow.address);
    });
    return flow;
  }
}

function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
