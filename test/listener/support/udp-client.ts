import { createHash, randomBytes } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { parseDigestChallenge } from "../../../listener/sip/auth-fields.js";
import type { SipResponse } from "../../../listener/sip/message.js";
import { parseMessage } from "../../../listener/sip/parser.js";

/** A tiny SIP UA over UDP for what sipp cannot do (SHA-256 digests, replays, raw garbage). */
export class UdpSipClient {
  private readonly socket: Socket = createSocket("udp4");
  private readonly waiting: Array<(response: SipResponse) => void> = [];
  private readonly queue: SipResponse[] = [];
  port = 0;

  private constructor(
    private readonly serverPort: number,
    /** The loopback address it sends from: tests of per-IP limits each take one of 127.0.0.0/8. */
    readonly address: string,
  ) {}

  static async open(serverPort: number, address = "127.0.0.1"): Promise<UdpSipClient> {
    const client = new UdpSipClient(serverPort, address);
    await new Promise<void>((resolve) => client.socket.bind(0, address, () => resolve()));
    client.port = client.socket.address().port;
    client.socket.on("message", (data) => {
      try {
        const message = parseMessage(data);
        if ("status" in message) {
          const waiter = client.waiting.shift();
          if (waiter) waiter(message);
          else client.queue.push(message);
        }
      } catch {}
    });
    return client;
  }

  sendRaw(data: Buffer | string): void {
    this.socket.send(typeof data === "string" ? Buffer.from(data) : data, this.serverPort, "127.0.0.1");
  }

  /** The next response, skipping 100 Trying. */
  async next(timeoutMs = 5_000): Promise<SipResponse> {
    for (;;) {
      const response =
        this.queue.shift() ??
        (await new Promise<SipResponse>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("No SIP response in time")), timeoutMs);
          this.waiting.push((r) => {
            clearTimeout(timer);
            resolve(r);
          });
        }));
      if (response.status !== 100) return response;
    }
  }

  close(): void {
    try {
      this.socket.close();
    } catch {} // already closed
  }

  register(options: RegisterOptions): { text: string; callId: string } {
    const callId = options.callId ?? randomBytes(8).toString("hex");
    const lines = [
      `REGISTER sip:${options.domain} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.address}:${this.port}${
        options.branch === null ? "" : `;branch=${options.branch ?? `z9hG4bK${randomBytes(6).toString("hex")}`}`
      };rport`,
      `From: <sip:${options.user}@${options.domain}>;tag=${randomBytes(4).toString("hex")}`,
      `To: <sip:${options.user}@${options.domain}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${options.cseq ?? 1} REGISTER`,
      `Contact: <sip:${options.user}@${this.address}:${this.port}>`,
      `Expires: ${options.expires ?? 300}`,
      "Max-Forwards: 70",
      ...(options.authorization ? [`Authorization: ${options.authorization}`] : []),
      "Content-Length: 0",
      "",
      "",
    ];
    const text = lines.join("\r\n");
    this.sendRaw(text);
    return { text, callId };
  }
}

export interface RegisterOptions {
  user: string;
  domain: string;
  expires?: number;
  cseq?: number;
  callId?: string;
  /** The Via branch; a fresh z9hG4bK one when omitted, none at all when `null` (RFC 2543 phones). */
  branch?: string | null;
  authorization?: string;
}

/** The Authorization value answering `challengeHeader` (any of the offered algorithms). */
export function answerChallenge(
  challengeHeader: string,
  user: string,
  password: string,
  method: string,
  uri: string,
  nc = 1,
): string {
  const challenge = parseDigestChallenge(challengeHeader);
  const algorithm = challenge.algorithm ?? "MD5";
  const h = (text: string) =>
    createHash(algorithm.toUpperCase() === "SHA-256" ? "sha256" : "md5")
      .update(text)
      .digest("hex");
  const cnonce = randomBytes(6).toString("hex");
  const ncHex = nc.toString(16).padStart(8, "0");
  const ha1 = h(`${user}:${challenge.realm}:${password}`);
  const ha2 = h(`${method}:${uri}`);
  const response = h(`${ha1}:${challenge.nonce}:${ncHex}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${challenge.realm}", nonce="${challenge.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=${ncHex}, cnonce="${cnonce}"`;
}
