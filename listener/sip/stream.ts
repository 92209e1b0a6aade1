// Framing SIP messages on a stream transport (TCP, TLS): RFC 3261 §18.3 and §7.5, with the
// CRLF keep-alives of RFC 5626 §3.5.1.

import { SipParseError } from "./errors.js";
import { DEFAULT_LIMITS, type SipLimits, type SipMessage } from "./message.js";
import { type ParsedHead, parseHead, withBody } from "./parser.js";

export type FramerEvent =
  | { type: "message"; message: SipMessage }
  /** A CRLF CRLF keep-alive between messages: answer with a single CRLF (RFC 5626 §4.4.1). */
  | { type: "ping" }
  /**
   * Framing is lost: close the connection. When `error.isRequest` and `error.request` holds the
   * headers, a 400 (or `error.status`) may be sent first. Nothing more is emitted after it.
   */
  | { type: "error"; error: SipParseError };

const IDLE = 0;
const HEAD = 1;
const BODY = 2;
const CLOSED = 3;

/** Head scanner states: inside a line, just after LF, after LF CR. */
const IN_LINE = 0;
const AFTER_LF = 1;
const AFTER_LF_CR = 2;

const INITIAL_CAPACITY = 1024;

/**
 * Feed it the chunks of one connection; it returns the events each chunk completes. The size
 * limits hold however the bytes are split: an endless header line or header section is cut off
 * once it passes the limit, without buffering more than `maxMessageSize` bytes.
 */
export class SipStreamFramer {
  private readonly limits: SipLimits;
  private readonly maxLine: number;
  private state = IDLE;
  private buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private length = 0;
  private scan = IN_LINE;
  private lineLength = 0;
  private newlines = 0;
  private head: ParsedHead | undefined;
  private bodyEnd = 0;

  constructor(limits: Partial<SipLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.maxLine = Math.max(this.limits.maxHeaderLine, this.limits.maxStartLine) + 2;
  }

  /** True once a framing error was reported: the connection should be closed. */
  get closed(): boolean {
    return this.state === CLOSED;
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.state === IDLE ? 0 : this.length;
  }

  feed(chunk: Buffer): FramerEvent[] {
    const events: FramerEvent[] = [];
    const len = chunk.length;
    let pos = 0;
    while (pos < len && this.state !== CLOSED) {
      if (this.state === IDLE) {
        // CRLFs between messages: ignored (§7.5), and every CRLF CRLF is a keep-alive ping.
        while (pos < len) {
          const b = chunk[pos];
          if (b === 10) {
            if (++this.newlines === 2) {
              events.push({ type: "ping" });
              this.newlines = 0;
            }
          } else if (b !== 13) {
            break;
          }
          pos++;
        }
        if (pos >= len) break;
        this.newlines = 0;
        this.state = HEAD;
        this.scan = IN_LINE;
        this.lineLength = 0;
        this.length = 0;
      }

      if (this.state === HEAD) {
        const end = this.scanHead(chunk, pos);
        if (this.lineLength > this.maxLine) {
          this.fail(events, new SipParseError("Header line too long", { isRequest: this.looksLikeRequest() }));
          break;
        }
        const stop = end < 0 ? len : end;
        if (this.length + (stop - pos) > this.limits.maxMessageSize) {
          this.fail(
            events,
            new SipParseError("Message Too Large", { isRequest: this.looksLikeRequest(), status: 513 }),
          );
          break;
        }
        this.append(chunk, pos, stop);
        pos = stop;
        if (end < 0) break;
        if (!this.startBody(events)) break;
      }

      if (this.state === BODY) {
        const take = Math.min(this.bodyEnd - this.length, len - pos);
        if (take > 0) this.append(chunk, pos, pos + take);
        pos += take;
        if (this.length === this.bodyEnd) this.emit(events);
      }
    }
    return events;
  }

  /**
   * Advances the head scanner over `chunk[pos..]`; returns the index just after the empty line
   * that ends the header section, or -1 when the chunk ends first. Tracks the current line length.
   */
  private scanHead(chunk: Buffer, pos: number): number {
    const len = chunk.length;
    let i = pos;
    while (i < len) {
      if (this.scan === IN_LINE) {
        const lf = chunk.indexOf(10, i);
        if (lf < 0) {
          this.lineLength += len - i;
          return -1;
        }
        this.lineLength += lf - i;
        if (this.lineLength > this.maxLine) return -1;
        this.lineLength = 0;
        this.scan = AFTER_LF;
        i = lf + 1;
      } else {
        const b = chunk[i];
        if (b === 10) return i + 1;
        if (b === 13 && this.scan === AFTER_LF) {
          this.scan = AFTER_LF_CR;
          this.lineLength = 1;
          i++;
        } else {
          this.scan = IN_LINE;
        }
      }
    }
    return -1;
  }

  /** The header section is complete: parse it and learn the body length. */
  private startBody(events: FramerEvent[]): boolean {
    let head: ParsedHead;
    try {
      head = parseHead(this.buffer.subarray(0, this.length), this.limits);
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      this.fail(events, error);
      return false;
    }
    const isRequest = "method" in head.message;
    const request = "method" in head.message ? head.message : undefined;
    if (head.contentLength === undefined) {
      this.fail(events, new SipParseError("Missing Content-Length", { isRequest, request }));
      return false;
    }
    if (this.length + head.contentLength > this.limits.maxMessageSize) {
      this.fail(events, new SipParseError("Message Too Large", { isRequest, request, status: 513 }));
      return false;
    }
    this.head = head;
    this.bodyEnd = this.length + head.contentLength;
    this.state = BODY;
    return true;
  }

  private emit(events: FramerEvent[]): void {
    const head = this.head as ParsedHead;
    const body = Buffer.from(this.buffer.subarray(head.bodyStart, this.bodyEnd));
    events.push({ type: "message", message: withBody(head, body) });
    this.head = undefined;
    this.state = IDLE;
    this.length = 0;
    if (this.buffer.length > 16 * INITIAL_CAPACITY) this.buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  }

  private append(chunk: Buffer, start: number, end: number): void {
    const needed = this.length + (end - start);
    if (needed > this.buffer.length) {
      let capacity = this.buffer.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = Buffer.allocUnsafe(Math.min(capacity, Math.max(needed, this.limits.maxMessageSize)));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    chunk.copy(this.buffer, this.length, start, end);
    this.length = needed;
  }

  private looksLikeRequest(): boolean {
    const b = this.buffer;
    return !(this.length >= 4 && b[0] === 83 && b[1] === 73 && b[2] === 80 && b[3] === 47);
  }

  private fail(events: FramerEvent[], error: SipParseError): void {
    events.push({ type: "error", error });
    this.state = CLOSED;
    this.head = undefined;
    this.buffer = Buffer.alloc(0);
    this.length = 0;
  }
}
