import { describe, expect, it } from "vitest";
import type { SipMessage } from "../../listener/sip/message.js";
import { parseMessage } from "../../listener/sip/parser.js";
import { type FramerEvent, SipStreamFramer } from "../../listener/sip/stream.js";
import { INVITE_TCP, REGISTER, sipMessage, UNREASON, VALID_MESSAGES } from "./sip-messages.js";

function messages(events: FramerEvent[]): SipMessage[] {
  return events.flatMap((event) => (event.type === "message" ? [event.message] : []));
}

function feedAll(framer: SipStreamFramer, chunks: Buffer[]): FramerEvent[] {
  return chunks.flatMap((chunk) => framer.feed(chunk));
}

function errorOf(events: FramerEvent[]) {
  const last = events.at(-1);
  if (last?.type !== "error") throw new Error(`expected an error event, got ${JSON.stringify(last)}`);
  return last.error;
}

/** Datagram seeds that carry a Content-Length, usable on a stream. */
const STREAMABLE = Object.entries(VALID_MESSAGES).filter(([, buf]) => /content-length|\r\nl:/i.test(buf.toString()));

describe("SIP stream framer", () => {
  it.each(STREAMABLE)("reassembles %s split at every byte boundary", (_name, input) => {
    // Prepare
    const expected = parseMessage(input, { stream: true });

    for (let cut = 1; cut < input.length; cut++) {
      const framer = new SipStreamFramer();

      // Act
      const events = feedAll(framer, [input.subarray(0, cut), input.subarray(cut)]);

      // Assert
      expect(events, `cut at ${cut}`).toEqual([{ type: "message", message: expected }]);
      expect(framer.buffered).toBe(0);
    }
  });

  it("reassembles a message fed one byte at a time", () => {
    // Prepare
    const framer = new SipStreamFramer();
    const bytes = [...INVITE_TCP].map((b) => Buffer.from([b]));

    // Act
    const events = feedAll(framer, bytes);

    // Assert
    expect(messages(events)).toEqual([parseMessage(INVITE_TCP)]);
  });

  it("emits two messages that arrive in one chunk, and keeps a partial third", () => {
    // Prepare
    const framer = new SipStreamFramer();
    const chunk = Buffer.concat([REGISTER, INVITE_TCP, INVITE_TCP.subarray(0, 100)]);

    // Act
    const first = framer.feed(chunk);
    const rest = framer.feed(INVITE_TCP.subarray(100));

    // Assert
    expect(messages(first)).toEqual([parseMessage(REGISTER), parseMessage(INVITE_TCP)]);
    expect(messages(rest)).toEqual([parseMessage(INVITE_TCP)]);
  });

  it("answers CRLF CRLF keep-alives with ping events and ignores lone CRLFs (RFC 5626)", () => {
    // Prepare
    const framer = new SipStreamFramer();

    // Act
    const events = feedAll(framer, [
      Buffer.from("\r\n\r\n"),
      Buffer.from("\r\n"),
      Buffer.from("\r\n\r"),
      Buffer.concat([Buffer.from("\n"), REGISTER, Buffer.from("\r\n")]),
      Buffer.concat([UNREASON]),
    ]);

    // Assert
    expect(events.map((e) => e.type)).toEqual(["ping", "ping", "message", "message"]);
  });

  it("refuses a message without Content-Length and closes", () => {
    // Prepare
    const framer = new SipStreamFramer();
    const input = sipMessage([
      "OPTIONS sip:user@example.com SIP/2.0",
      "Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1",
      "To: <sip:user@example.com>",
      "From: <sip:caller@example.net>;tag=1",
      "Call-ID: nocl",
      "CSeq: 1 OPTIONS",
    ]);

    // Act
    const events = framer.feed(Buffer.concat([input, REGISTER]));

    // Assert
    const error = errorOf(events);
    expect(events).toHaveLength(1);
    expect(error.reason).toBe("Missing Content-Length");
    expect(error.request?.headers.get("Call-ID")).toBe("nocl");
    expect(framer.closed).toBe(true);
    expect(framer.feed(REGISTER)).toEqual([]);
  });

  it("delivers the messages before a framing error in the same chunk", () => {
    // Prepare
    const framer = new SipStreamFramer();

    // Act
    const events = framer.feed(Buffer.concat([REGISTER, Buffer.from("garbage\r\n\r\n")]));

    // Assert
    expect(events.map((e) => e.type)).toEqual(["message", "error"]);
    expect(errorOf(events).reason).toBe("Malformed request line");
  });

  it("cuts off an endless header line sent in small chunks", () => {
    // Prepare
    const framer = new SipStreamFramer();
    const events: FramerEvent[] = [...framer.feed(Buffer.from("REGISTER sip:pbx.example.com SIP/2.0\r\nX-Endless: "))];
    let fed = 0;

    // Act
    while (!framer.closed && fed < 1_000_000) {
      events.push(...framer.feed(Buffer.alloc(100, "a")));
      fed += 100;
    }

    // Assert
    expect(errorOf(events).reason).toBe("Header line too long");
    expect(fed).toBeLessThan(8_400);
  });

  it("cuts off an endless header section of short lines at the message size limit", () => {
    // Prepare
    const framer = new SipStreamFramer();
    const events: FramerEvent[] = [...framer.feed(Buffer.from("REGISTER sip:pbx.example.com SIP/2.0\r\n"))];
    let fed = 0;

    // Act
    while (!framer.closed && fed < 1_000_000) {
      events.push(...framer.feed(Buffer.from("X-A: b\r\n")));
      fed += 8;
    }

    // Assert
    const error = errorOf(events);
    expect(error.reason).toBe("Message Too Large");
    expect(error.status).toBe(513);
    expect(fed).toBeLessThanOrEqual(65_535);
    expect(framer.buffered).toBe(0);
  });

  it("refuses a Content-Length that would exceed the size limit before reading the body", () => {
    // Prepare
    const framer = new SipStreamFramer({ maxMessageSize: 4096 });
    const head = Buffer.from(
      "MESSAGE sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5000\r\n\r\n",
    );

    // Act
    const events = framer.feed(head);

    // Assert
    expect(errorOf(events)).toMatchObject({ reason: "Content-Length too large", status: 513 });
  });

  it("reports a malformed header section as a framing error", () => {
    // Prepare
    const framer = new SipStreamFramer();

    // Act
    const events = framer.feed(Buffer.from("OPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: -5\r\n\r\n"));

    // Assert
    expect(errorOf(events).reason).toBe("Invalid Content-Length");
  });
});
