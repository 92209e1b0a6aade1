import { randomBytes } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, type Socket as TcpSocket } from "node:net";
import { WebSocket } from "ws";
import { SipHeaders } from "../../../listener/sip/header-fields.js";
import type { SipMessage, SipRequest, SipResponse } from "../../../listener/sip/message.js";
import { parseMessage } from "../../../listener/sip/parser.js";
import { serializeMessage } from "../../../listener/sip/serialize.js";
import { SipStreamFramer } from "../../../listener/sip/stream.js";
import { answerChallenge } from "./udp-client.js";

/**
 * A raw SIP phone for the listener's tests: UDP or TCP, keeps every request and response it
 * receives, and builds requests the way a phone would (or the way an attacker would: nothing
 * is checked). What sipp cannot script: a second device, NAT-colliding Contacts, exact branches.
 */
export class Phone {
  readonly requests: SipRequest[] = [];
  readonly responses: SipResponse[] = [];
  /** CRLF CRLF keep-alives received (RFC 5626 §4.4.1). */
  pings = 0;
  private waiters: Array<() => void> = [];
  private udp: UdpSocket | undefined;
  private tcp: TcpSocket | undefined;
  private ws: WebSocket | undefined;
  /** A browser's made-up host (JsSIP writes `<random>.invalid` in Via and Contact). */
  private readonly wsHost = `${randomBytes(5).toString("hex")}.invalid`;
  port = 0;
  private cseq = 1;
  readonly callId = randomBytes(8).toString("hex");
  readonly tag = randomBytes(4).toString("hex");

  private constructor(
    readonly transport: "udp" | "tcp" | "ws",
    readonly serverPort: number,
  ) {}

  /**
   * `ws`: SIP over WebSocket (RFC 7118) the way a browser speaks it, to `serverPort`'s `/sip`
   * path (the Linkus port) with the `sip` subprotocol; one SIP message per WebSocket message.
   */
  static async open(serverPort: number, transport: "udp" | "tcp" | "ws" = "udp"): Promise<Phone> {
    const phone = new Phone(transport, serverPort);
    if (transport === "ws") {
      const ws = new WebSocket(`ws://127.0.0.1:${serverPort}/sip`, "sip");
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      ws.on("message", (data: Buffer) => {
        try {
          phone.receive(parseMessage(data));
        } catch {}
      });
      ws.on("error", () => {});
      phone.port = (ws as unknown as { _socket: TcpSocket })._socket.localPort ?? 0;
      phone.ws = ws;
    } else if (transport === "udp") {
      const socket = createSocket("udp4");
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
      phone.port = socket.address().port;
      socket.on("message", (data) => {
        if (data.toString("latin1") === "\r\n\r\n") {
          phone.pings++;
          return;
        }
        try {
          phone.receive(parseMessage(data));
        } catch {}
      });
      phone.udp = socket;
    } else {
      const socket = connect({ host: "127.0.0.1", port: serverPort });
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("error", reject);
      });
      phone.port = socket.localPort ?? 0;
      const framer = new SipStreamFramer();
      socket.on("data", (chunk) => {
        for (const event of framer.feed(chunk)) if (event.type === "message") phone.receive(event.message);
      });
      socket.on("error", () => {});
      phone.tcp = socket;
    }
    return phone;
  }

  private receive(message: SipMessage): void {
    if ("method" in message) this.requests.push(message);
    else this.responses.push(message);
    for (const wake of this.waiters.splice(0)) wake();
  }

  get via(): string {
    if (this.transport === "ws") return `SIP/2.0/WS ${this.wsHost};branch=z9hG4bK${randomBytes(6).toString("hex")}`;
    return `SIP/2.0/${this.transport.toUpperCase()} 127.0.0.1:${this.port};rport;branch=z9hG4bK${randomBytes(6).toString("hex")}`;
  }

  contact(user: string, host = `127.0.0.1:${this.port}`): string {
    if (this.transport === "ws") return `<sip:${user}@${this.wsHost};transport=ws>`;
    return `<sip:${user}@${host}${this.transport === "tcp" ? ";transport=tcp" : ""}>`;
  }

  send(message: SipMessage | string): void {
    const data = typeof message === "string" ? Buffer.from(message) : serializeMessage(message);
    if (this.udp) this.udp.send(data, this.serverPort, "127.0.0.1");
    else if (this.ws) this.ws.send(data.toString("utf8"));
    else this.tcp?.write(data);
  }

  /** Waits until `pick` finds something among what arrived (checked again on every arrival). */
  async waitFor<T>(pick: () => T | undefined, timeoutMs = 5_000, what = "a SIP message"): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = pick();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No ${what} in time`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The first final (or `status`) response to the request with this CSeq, waiting for it. */
  response(cseq: string, status?: number, timeoutMs?: number): Promise<SipResponse> {
    return this.waitFor(
      () =>
        this.responses.find(
          (r) => r.headers.get("CSeq") === cseq && (status === undefined ? r.status >= 200 : r.status === status),
        ),
      timeoutMs,
      `response to ${cseq}`,
    );
  }

  request(method: string, index = 0, timeoutMs?: number): Promise<SipRequest> {
    return this.waitFor(() => this.requests.filter((r) => r.method === method)[index], timeoutMs, method);
  }

  /** A request of our own, ready to send (or to change first). */
  build(
    method: string,
    uri: string,
    options: { to: string; from: string; headers?: [string, string][]; body?: string; cseq?: number; callId?: string },
  ): SipRequest {
    const headers = new SipHeaders()
      .append("Via", this.via)
      .append("Max-Forwards", "70")
      .append("From", `${options.from};tag=${this.tag}`)
      .append("To", options.to)
      .append("Call-ID", options.callId ?? this.callId)
      .append("CSeq", `${options.cseq ?? this.cseq++} ${method}`);
    for (const [name, value] of options.headers ?? []) headers.append(name, value);
    return { method, uri, version: "SIP/2.0", headers, body: Buffer.from(options.body ?? "") };
  }

  /**
   * Sends the request, answers one challenge with the credentials (same Call-ID, next CSeq),
   * and resolves to the final response.
   */
  async authenticated(request: SipRequest, user: { registrationName: string; password: string }): Promise<SipResponse> {
    this.send(request);
    const cseq = request.headers.get("CSeq") ?? "";
    const first = await this.response(cseq);
    if (first.status !== 401 && first.status !== 407) return first;
    if (request.method === "INVITE") this.send(this.ackFor(request, first));
    const proxy = first.status === 407;
    const challenge = first.headers.get(proxy ? "Proxy-Authenticate" : "WWW-Authenticate") ?? "";
    const authorization = answerChallenge(challenge, user.registrationName, user.password, request.method, request.uri);
    const retry = this.copy(request, { cseq: this.cseq++ });
    retry.headers.append(proxy ? "Proxy-Authorization" : "Authorization", authorization);
    this.send(retry);
    return this.response(retry.headers.get("CSeq") ?? "");
  }

  async register(
    user: { registrationName: string; password: string },
    domain: string,
    options: { expires?: number; instance?: string; regId?: number; contactHost?: string; callId?: string } = {},
  ): Promise<SipResponse> {
    const aor = `<sip:${user.registrationName}@${domain}>`;
    const contact =
      this.contact(user.registrationName, options.contactHost) +
      (options.instance ? `;+sip.instance="<urn:uuid:${options.instance}>"` : "") +
      (options.regId ? `;reg-id=${options.regId}` : "");
    const request = this.build("REGISTER", `sip:${domain}`, {
      from: aor,
      to: aor,
      ...(options.callId ? { callId: options.callId } : {}),
      headers: [
        ["Contact", contact],
        ["Expires", String(options.expires ?? 300)],
      ],
    });
    return this.authenticated(request, user);
  }

  /** The same request with a new branch (a new transaction), optionally a new CSeq number. */
  copy(request: SipRequest, options: { cseq?: number } = {}): SipRequest {
    const headers = new SipHeaders();
    for (const [name, value] of request.headers) {
      if (name === "Via") headers.append("Via", this.via);
      else if (name === "CSeq" && options.cseq !== undefined)
        headers.append("CSeq", `${options.cseq} ${request.method}`);
      else headers.append(name, value);
    }
    return { ...request, headers };
  }

  /** The ACK of a non-2xx final: same branch as the INVITE (RFC 3261 §17.1.1.3). */
  ackFor(invite: SipRequest, response: SipResponse): SipRequest {
    const headers = new SipHeaders()
      .append("Via", invite.headers.get("Via") ?? "")
      .append("Max-Forwards", "70")
      .append("From", invite.headers.get("From") ?? "")
      .append("To", response.headers.get("To") ?? "")
      .append("Call-ID", invite.headers.get("Call-ID") ?? "")
      .append("CSeq", `${/\d+/.exec(invite.headers.get("CSeq") ?? "1")?.[0]} ACK`);
    return { method: "ACK", uri: invite.uri, version: "SIP/2.0", headers, body: Buffer.alloc(0) };
  }

  /** A response to a request that reached this phone (the callee's side). */
  answer(
    request: SipRequest,
    status: number,
    reason: string,
    options: { tag?: string; headers?: [string, string][] } = {},
  ): SipResponse {
    const headers = new SipHeaders();
    for (const via of request.headers.getAll("Via")) headers.append("Via", via);
    if (status >= 200 && status < 300 && request.method === "INVITE") {
      for (const rr of request.headers.getAll("Record-Route")) headers.append("Record-Route", rr);
    }
    headers.append("From", request.headers.get("From") ?? "");
    const to = request.headers.get("To") ?? "";
    headers.append("To", /;tag=/.test(to) || status === 100 ? to : `${to};tag=${options.tag ?? this.tag}`);
    headers.append("Call-ID", request.headers.get("Call-ID") ?? "");
    headers.append("CSeq", request.headers.get("CSeq") ?? "");
    for (const [name, value] of options.headers ?? []) headers.append(name, value);
    return { status, reason, version: "SIP/2.0", headers, body: Buffer.alloc(0) };
  }

  close(): void {
    this.udp?.close();
    this.tcp?.destroy();
    this.ws?.close();
  }

  /** Resolves when the WebSocket has closed (after `close()` or the server's close). */
  closed(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === ws.CLOSED) return Promise.resolve();
    return new Promise((resolve) => ws.once("close", () => resolve()));
  }
}
