import { isUtf8 } from "node:buffer";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { type Flow, flowKey } from "./flow.js";

/**
 * SIP over WebSocket (RFC 7118) on a path of the Linkus port: the browser's softphone opens
 * `ws(s)://host:8111/sip` with the `sip` subprotocol, and each WebSocket message carries exactly
 * one SIP message (§5.1), so no stream framing is needed. A socket is a flow like a TCP
 * connection: requests for a binding registered over it go back over it, and when it closes the
 * bindings registered over it go with it (`onClose`).
 */
export const SIP_WEBSOCKET_PATH = "/sip";

export interface WebSocketLimits {
  /** The first SIP message (the REGISTER) must arrive within this. */
  firstMessageMs: number;
  /** Idle limit before a request on the socket authenticated. */
  untrustedIdleMs: number;
  /** Idle limit after that (JsSIP re-registers every few minutes; browsers answer pings). */
  trustedIdleMs: number;
  /** Sockets from one IP address at most. */
  maxPerIp: number;
  /** WebSocket pings keep the load balancer's idle timer and ours from closing a quiet browser. */
  pingMs: number;
  /** Sockets per task. */
  maxSockets: number;
  /** RFC 7118 has no message size of its own: the SIP limit applies (64 KiB). */
  maxMessageBytes: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  firstMessageMs: 10_000,
  untrustedIdleMs: 30_000,
  trustedIdleMs: 300_000,
  pingMs: 25_000,
  maxPerIp: 64,
  maxSockets: 10_000,
  maxMessageBytes: 64 * 1024,
};

interface Connection {
  ws: WebSocket;
  trusted: boolean;
  idle: NodeJS.Timeout;
}

export class WebSocketSip {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Map<string, Connection>();
  private readonly perIp = new Map<string, number>();
  private readonly pinger: NodeJS.Timeout;
  stats = { accepted: 0, refused: 0, timedOut: 0 };

  constructor(
    private readonly limits: WebSocketLimits,
    private readonly onMessage: (data: Buffer, flow: Flow) => void,
    private readonly onClose: (flow: Flow) => void,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxMessageBytes,
      // RFC 7118 §4.1: the server must refuse a handshake that does not offer `sip`.
      handleProtocols: (protocols) => (protocols.has("sip") ? "sip" : false),
    });
    this.pinger = setInterval(() => {
      for (const { ws, trusted } of this.sockets.values()) if (trusted) ws.ping();
    }, limits.pingMs);
    this.pinger.unref();
  }

  get size(): number {
    return this.sockets.size;
  }

  /** Whether an upgrade request is for SIP (the Linkus hub keeps every other path). */
  static wants(req: IncomingMessage): boolean {
    return new URL(req.url ?? "/", "http://linkus").pathname === SIP_WEBSOCKET_PATH;
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const address = normalizeAddress(req.socket.remoteAddress ?? "");
    const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim().toLowerCase());
    const reason = !offered.includes("sip")
      ? "400 Bad Request"
      : this.sockets.size >= this.limits.maxSockets || (this.perIp.get(address) ?? 0) >= this.limits.maxPerIp
        ? "503 Service Unavailable"
        : undefined;
    if (reason) {
      this.stats.refused++;
      socket.end(`HTTP/1.1 ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.adopt(ws, address, req.socket.remotePort ?? 0));
  }

  private adopt(ws: WebSocket, address: string, port: number): void {
    this.stats.accepted++;
    const flow: Flow = { transport: "ws", address, port };
    const key = flowKey(flow);
    const expire = () => {
      this.stats.timedOut++;
      ws.terminate();
    };
    const connection: Connection = { ws, trusted: false, idle: setTimeout(expire, this.limits.firstMessageMs) };
    this.sockets.set(key, connection);
    this.perIp.set(address, (this.perIp.get(address) ?? 0) + 1);
    const restartIdle = () => {
      clearTimeout(connection.idle);
      connection.idle = setTimeout(
        expire,
        connection.trusted ? this.limits.trustedIdleMs : this.limits.untrustedIdleMs,
      );
    };
    ws.on("message", (data: RawData) => {
      restartIdle();
      this.onMessage(toBuffer(data), flow);
    });
    ws.on("pong", restartIdle);
    ws.on("error", () => {});
    ws.on("close", () => {
      clearTimeout(connection.idle);
      if (this.sockets.get(key) === connection) this.sockets.delete(key);
      const left = (this.perIp.get(address) ?? 1) - 1;
      if (left > 0) this.perIp.set(address, left);
      else this.perIp.delete(address);
      this.onClose(flow);
    });
  }

  /** The flow authenticated a request: give its socket the longer idle limit. */
  trust(flow: Flow): void {
    const connection = this.sockets.get(flowKey(flow));
    if (!connection || connection.trusted) return;
    connection.trusted = true;
    clearTimeout(connection.idle);
    connection.idle = setTimeout(() => {
      this.stats.timedOut++;
      connection.ws.terminate();
    }, this.limits.trustedIdleMs);
  }

  /** False when no socket of that flow is open on this task (the caller answers 430/480). */
  send(flow: Flow, data: Buffer): boolean {
    const connection = this.sockets.get(flowKey(flow));
    if (!connection || connection.ws.readyState !== connection.ws.OPEN) return false;
    // RFC 7118 §5.1: text frames for UTF-8 messages; a SIP message with a binary body is still
    // sent whole in one message.
    connection.ws.send(data, { binary: !isUtf8(data) });
    return true;
  }

  close(): void {
    clearInterval(this.pinger);
    for (const { ws, idle } of this.sockets.values()) {
      clearTimeout(idle);
      ws.close(1001, "Server shutting down");
    }
    this.wss.close();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
