import { randomBytes } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { type Bencoded, bdecode, bencode } from "./bencode.js";

/**
 * rtpengine's ng control protocol over UDP: `<cookie> <bencoded dictionary>` each way, the reply
 * carrying the request's cookie. A request is sent again after `retryMs` (UDP may drop it; ng
 * commands are idempotent per cookie, rtpengine answers a repeated cookie from its cache) and
 * fails after `attempts`.
 */
export interface NgOptions {
  host: string;
  port: number;
  retryMs?: number;
  attempts?: number;
}

export type NgReply = { [key: string]: Bencoded };

export class NgError extends Error {}

interface Pending {
  resolve: (reply: NgReply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class RtpEngineClient {
  private socket: Socket | undefined;
  private readonly pending = new Map<string, Pending>();
  stats = { sent: 0, retried: 0, failed: 0 };

  constructor(private readonly options: NgOptions) {}

  private open(): Socket {
    if (this.socket) return this.socket;
    const socket = createSocket(this.options.host.includes(":") ? "udp6" : "udp4");
    socket.on("message", (data) => this.onReply(data));
    socket.on("error", () => {});
    socket.unref();
    this.socket = socket;
    return socket;
  }

  /** Sends one ng command; resolves with the reply dictionary when `result` is "ok". */
  command(command: string, params: { [key: string]: Bencoded } = {}): Promise<NgReply> {
    const socket = this.open();
    const cookie = randomBytes(8).toString("hex");
    const wire = Buffer.concat([Buffer.from(`${cookie} `), bencode({ ...params, command })]);
    const retryMs = this.options.retryMs ?? 1_000;
    let left = this.options.attempts ?? 3;
    return new Promise((resolve, reject) => {
      const send = () => {
        left--;
        this.stats.sent++;
        socket.send(wire, this.options.port, this.options.host);
      };
      const onTimeout = () => {
        if (left <= 0) {
          this.pending.delete(cookie);
          this.stats.failed++;
          reject(new NgError(`rtpengine did not answer "${command}" at ${this.options.host}:${this.options.port}`));
          return;
        }
        this.stats.retried++;
        send();
        entry.timer = setTimeout(onTimeout, retryMs);
      };
      const entry: Pending = { resolve, reject, timer: setTimeout(onTimeout, retryMs) };
      this.pending.set(cookie, entry);
      send();
    });
  }

  private onReply(data: Buffer): void {
    const space = data.indexOf(0x20);
    if (space <= 0) return;
    const cookie = data.toString("latin1", 0, space);
    const entry = this.pending.get(cookie);
    if (!entry) return;
    this.pending.delete(cookie);
    clearTimeout(entry.timer);
    let reply: Bencoded;
    try {
      reply = bdecode(data.subarray(space + 1));
    } catch (error) {
      entry.reject(new NgError(`rtpengine reply unreadable: ${(error as Error).message}`));
      return;
    }
    if (typeof reply !== "object" || Array.isArray(reply)) {
      entry.reject(new NgError("rtpengine reply is not a dictionary"));
      return;
    }
    if (reply.result !== "ok" && reply.result !== "pong") {
      entry.reject(new NgError(`rtpengine: ${String(reply["error-reason"] ?? reply.result)}`));
      return;
    }
    entry.resolve(reply);
  }

  close(): void {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new NgError("rtpengine client closed"));
    }
    this.pending.clear();
    this.socket?.close();
    this.socket = undefined;
  }
}
