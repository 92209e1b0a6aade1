import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, isIP, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import type { SipParseError } from "../sip/errors.js";
import type { SipMessage } from "../sip/message.js";
import { SipStreamFramer } from "../sip/stream.js";
import { type Flow, flowKey, type Transport } from "./flow.js";

/**
 * UDP, TCP and (optionally) TLS sockets for SIP. Each datagram or framed stream message is
 * handed to `onMessage` with the flow it came from; `send` writes to a flow (over the same TCP
 * connection when one is open to that address, RFC 5626 style); `connect` opens a TCP
 * connection to a registered Contact whose own connection has gone (RFC 3261 §18.1.1).
 */
export interface TransportOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer; port: number } | undefined;
  /** Idle TCP connections are closed after this long (phones keep them alive with CRLF pings). */
  tcpIdleMs?: number;
  maxConnections?: number;
}

/** A framed stream message, or the framing error that ends the connection (answer, then close). */
export type StreamEvent = { type: "message"; message: SipMessage } | { type: "error"; error: SipParseError };

export class SipTransport {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private tls: TlsServer | undefined;
  private readonly connections = new Map<string, Socket>();
  port = 0;
  tlsPort = 0;

  constructor(
    private readonly options: TransportOptions,
    private readonly onDatagram: (data: Buffer, flow: Flow) => void,
    private readonly onStreamEvent: (event: StreamEvent, flow: Flow) => void,
  ) {}

  async start(): Promise<void> {
    // SIP serves UDP and TCP on one port number. With port 0 the number is UDP's pick, which a
    // TCP socket (an outgoing connection's ephemeral port) may already hold: then pick again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bindUdpAndTcp();
        break;
      } catch (error) {
        const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
        if (this.options.port !== 0 || !inUse || attempt >= 10) throw error;
      }
    }
    if (this.options.tls) {
      this.tls = createTlsServer({ cert: this.options.tls.cert, key: this.options.tls.key }, (socket) =>
        this.accept(socket, "tls"),
      );
      await listen(this.tls, this.options.tls.port, this.options.host);
      const address = this.tls.address();
      this.tlsPort = typeof address === "object" && address ? address.port : 0;
    }
  }

  private async bindUdpAndTcp(): Promise<void> {
    const udp = createSocket({ type: "udp4", reuseAddr: false });
    udp.on("message", (data, info) => {
      this.onDatagram(data, { transport: "udp", address: info.address, port: info.port });
    });
    udp.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(this.options.port, this.options.host, () => {
        udp.off("error", reject);
        resolve();
      });
    });
    const port = udp.address().port;
    const tcp = createServer((socket) => this.accept(socket, "tcp"));
    tcp.maxConnections = this.options.maxConnections ?? 10_000;
    try {
      await listen(tcp, port, this.options.host);
    } catch (error) {
      udp.close();
      throw error;
    }
    this.udp = udp;
    this.tcp = tcp;
    this.port = port;
  }

  /** Stops accepting; open TCP connections stay until `close`. */
  async stopAccepting(): Promise<void> {
    await Promise.all([this.tcp, this.tls].map((server) => (server ? closeServer(server) : undefined)));
  }

  async close(): Promise<void> {
    for (const socket of this.connections.values()) socket.destroy();
    this.connections.clear();
    await this.stopAccepting();
    const udp = this.udp;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    this.udp = undefined;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** False when the flow is a TCP/TLS connection that is not (or no longer) open on this task. */
  send(flow: Flow, data: Buffer): boolean {
    if (flow.transport === "udp") {
      if (!this.udp) return false;
      this.udp.send(data, flow.port, flow.address);
      return true;
    }
    const socket = this.connections.get(flowKey(flow));
    if (!socket || socket.destroyed) return false;
    socket.write(data);
    return true;
  }

  /**
   * A TCP connection to `address:port` (an IP literal: a registered Contact is never resolved by
   * DNS here); resolves to its flow once connected, or undefined after `timeoutMs`. TLS
   * connect-back is not offered: phones rarely hold a certificate the proxy could verify.
   */
  connect(
    target: { transport: Transport; address: string; port: number },
    timeoutMs = 3_000,
  ): Promise<Flow | undefined> {
    if (target.transport !== "tcp" || isIP(target.address) === 0 || !this.tcp) return Promise.resolve(undefined);
    const existing = this.connections.get(flowKey(target));
    if (existing && !existing.destroyed) return Promise.resolve({ ...target });
    return new Promise((resolve) => {
      const socket = connect({ host: target.address, port: target.port });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(undefined);
      }, timeoutMs);
      socket.once("error", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(this.accept(socket, "tcp"));
      });
    });
  }

  private accept(socket: Socket, transport: Transport): Flow {
    const flow: Flow = {
      transport,
      address: normalizeAddress(socket.remoteAddress ?? ""),
      port: socket.remotePort ?? 0,
    };
    const key = flowKey(flow);
    this.connections.set(key, socket);
    const framer = new SipStreamFramer();
    socket.setTimeout(this.options.tcpIdleMs ?? 300_000, () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      let events: ReturnType<SipStreamFramer["feed"]>;
      try {
        events = framer.feed(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const event of events) {
        if (event.type === "ping") socket.write("\r\n");
        else if (event.type === "message") this.onStreamEvent(event, flow);
        else {
          this.onStreamEvent(event, flow);
          socket.end();
          return;
        }
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (this.connections.get(key) === socket) this.connections.delete(key);
    });
    return flow;
  }
}

function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

function listen(server: Server | TlsServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: Server | TlsServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
