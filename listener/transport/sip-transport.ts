import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, isIP, type Server } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import type { Flow, Transport } from "./flow.js";
import { DEFAULT_STREAM_LIMITS, StreamConnections, type StreamEvent, type StreamLimits } from "./stream-connections.js";
import type { WebSocketSip } from "./websocket.js";

export type { StreamEvent, StreamLimits } from "./stream-connections.js";

/**
 * UDP, TCP and (optionally) TLS sockets for SIP. Each datagram or framed stream message is
 * handed to `onMessage` with the flow it came from; `send` writes to a flow (over the same TCP
 * connection when one is open to that address, RFC 5626 style); `connect` opens a TCP
 * connection to a registered Contact whose own connection has gone (RFC 3261 §18.1.1).
 */
export interface TransportOptions extends Partial<StreamLimits> {
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer; port: number } | undefined;
  maxConnections?: number;
}

export class SipTransport {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private tls: TlsServer | undefined;
  readonly connections: StreamConnections;
  port = 0;
  tlsPort = 0;
  /** SIP over WebSocket on the Linkus port (set once the hub listens). */
  websocket: WebSocketSip | undefined;
  websocketPort = 0;

  constructor(
    private readonly options: TransportOptions,
    private readonly onDatagram: (data: Buffer, flow: Flow) => void,
    onStreamEvent: (event: StreamEvent, flow: Flow) => void,
  ) {
    const { host: _host, port: _port, tls: _tls, maxConnections: _max, ...limits } = options;
    this.connections = new StreamConnections({ ...DEFAULT_STREAM_LIMITS, ...limits }, onStreamEvent);
  }

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
        this.connections.adopt(socket, "tls"),
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
    const tcp = createServer((socket) => this.connections.adopt(socket, "tcp"));
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
    this.connections.destroyAll();
    await this.stopAccepting();
    const udp = this.udp;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    this.udp = undefined;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** The port this task serves a transport on (Via, Record-Route, Contact). */
  portOf(transport: Transport): number {
    return transport === "tls" ? this.tlsPort : transport === "ws" ? this.websocketPort : this.port;
  }

  trust(flow: Flow): void {
    if (flow.transport === "ws") this.websocket?.trust(flow);
    else if (flow.transport !== "udp") this.connections.trust(flow);
  }

  /** False when the flow is a TCP/TLS connection that is not (or no longer) open on this task. */
  send(flow: Flow, data: Buffer): boolean {
    if (flow.transport === "udp") {
      if (!this.udp) return false;
      this.udp.send(data, flow.port, flow.address);
      return true;
    }
    if (flow.transport === "ws") return this.websocket?.send(flow, data) ?? false;
    const socket = this.connections.socketOf(flow);
    if (!socket) return false;
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
    if (this.connections.socketOf(target)) return Promise.resolve({ ...target });
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
        resolve(this.connections.adopt(socket, "tcp", true));
      });
    });
  }
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
