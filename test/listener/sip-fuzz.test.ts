// Bounded fuzzing of the SIP parser, header parsers and stream framer. Deterministic: the base
// seed is fixed (override with SIP_FUZZ_SEED=<n>) and every failure names the seed and iteration
// that reproduce it.

import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { parseDigestCredentials } from "../../listener/sip/auth-fields.js";
import { SipParseError } from "../../listener/sip/errors.js";
import { parseCSeq } from "../../listener/sip/headers.js";
import { isSipRequest, type SipMessage } from "../../listener/sip/message.js";
import { parseNameAddr } from "../../listener/sip/name-addr.js";
import { parseMessage } from "../../listener/sip/parser.js";
import { serializeMessage } from "../../listener/sip/serialize.js";
import { type FramerEvent, SipStreamFramer } from "../../listener/sip/stream.js";
import { parseUri } from "../../listener/sip/uri.js";
import { validateRequest } from "../../listener/sip/validate.js";
import { parseVia } from "../../listener/sip/via.js";
import { prng } from "../support/prng.js";
import { VALID_MESSAGES } from "./sip-messages.js";

const BASE_SEED = Number(process.env.SIP_FUZZ_SEED ?? 0x5eed_2026);
const MUTATIONS = 20_000;
const RANDOM_BUFFERS = 5_000;
const STREAM_RUNS = 600;
const MAX_SINGLE_MS = 50;
const MAX_TOTAL_MS = 20_000;

type Random = ReturnType<typeof prng>;
const int = (rand: Random, n: number) => Math.floor(rand() * n);
const pick = <T>(rand: Random, items: readonly T[]): T => items[int(rand, items.length)] as T;

const SEEDS = Object.values(VALID_MESSAGES);
const INTERESTING = [
  ":",
  ";",
  ",",
  '"',
  "\\",
  "<",
  ">",
  "\r\n",
  "\n",
  "\r",
  " ",
  "\t",
  "\r\n ",
  "%",
  "%0",
  "=",
  "\0",
  "@",
  "[",
  "]",
  "/",
  "SIP/2.0",
  "\r\n\r\n",
  "\u00ff",
  "é",
];
const NUMBERS = [
  "99999999999999999999999",
  "4294967296",
  "4294967295",
  "-1",
  "0",
  "65536",
  "2147483648",
  "1e9",
  "00000000000",
];

/** One random mutation of `input`. */
function mutate(rand: Random, input: Buffer): Buffer {
  const len = input.length;
  const at = int(rand, len + 1);
  switch (int(rand, 9)) {
    case 0: {
      // Flip a few bytes.
      const out = Buffer.from(input);
      for (let n = 1 + int(rand, 8); n > 0 && len > 0; n--) out[int(rand, len)] = int(rand, 256);
      return out;
    }
    case 1: {
      // Insert random bytes.
      const bytes = Buffer.from(Array.from({ length: 1 + int(rand, 16) }, () => int(rand, 256)));
      return Buffer.concat([input.subarray(0, at), bytes, input.subarray(at)]);
    }
    case 2:
      // Insert a syntactically interesting string.
      return Buffer.concat([input.subarray(0, at), Buffer.from(pick(rand, INTERESTING)), input.subarray(at)]);
    case 3:
      // Delete a range.
      return Buffer.concat([input.subarray(0, at), input.subarray(Math.min(len, at + 1 + int(rand, 64)))]);
    case 4:
      // Truncate.
      return input.subarray(0, at);
    case 5: {
      // Duplicate a line, possibly many times.
      const lines = input.toString("latin1").split("\n");
      const line = pick(rand, lines);
      const copies = rand() < 0.2 ? 1 + int(rand, 300) : 1;
      lines.splice(int(rand, lines.length + 1), 0, ...Array.from({ length: copies }, () => line));
      return Buffer.from(lines.join("\n"), "latin1");
    }
    case 6: {
      // Replace a number with an extreme one.
      const text = input.toString("latin1");
      const digits: number[] = [];
      for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) digits.push(i);
      if (digits.length === 0) return input;
      let start = pick(rand, digits);
      let end = start;
      while (start > 0 && /\d/.test(text.charAt(start - 1))) start--;
      while (end < text.length && /\d/.test(text.charAt(end))) end++;
      return Buffer.from(text.slice(0, start) + pick(rand, NUMBERS) + text.slice(end), "latin1");
    }
    case 7: {
      // Repeat a slice: long lines, many headers, oversize messages.
      const slice = input.subarray(at, Math.min(len, at + 1 + int(rand, 200)));
      const times = 1 + int(rand, rand() < 0.3 ? 2000 : 20);
      return Buffer.concat([input.subarray(0, at), ...Array.from({ length: times }, () => slice), input.subarray(at)]);
    }
    default: {
      // Change line ends or fold a line.
      const text = input.toString("latin1");
      const replaced =
        rand() < 0.5 ? text.split("\r\n").join("\n") : text.replace("\r\n", `\r\n${pick(rand, [" ", "\t", "  "])}`);
      return Buffer.from(replaced, "latin1");
    }
  }
}

/** Runs `fn`; returns its result, or undefined when it threw a SipParseError. Anything else propagates. */
function tolerant<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (error instanceof SipParseError) return undefined;
    throw error;
  }
}

const GENEROUS = { maxMessageSize: 1 << 22, maxHeaderLine: 1 << 22, maxStartLine: 1 << 22, maxHeaders: 1 << 16 };

/** The structure compared in round trips: everything but Content-Length (re-computed on output). */
function shape(message: SipMessage) {
  return {
    start: isSipRequest(message) ? [message.method, message.uri] : [message.status, message.reason],
    headers: message.headers.entries().filter(([name]) => name !== "Content-Length"),
    body: message.body,
  };
}

/** What a registrar would do with a parsed message; only SipParseError may come out of it. */
function exercise(message: SipMessage): void {
  const { headers } = message;
  if (isSipRequest(message)) {
    if (!Array.isArray(validateRequest(message))) throw new Error("validateRequest did not return a list");
    tolerant(() => parseUri(message.uri, { allowHeaders: false }));
  }
  for (const via of headers.getAll("Via")) tolerant(() => parseVia(via));
  for (const name of ["From", "To", "Contact", "Route", "Record-Route"]) {
    for (const value of headers.getAll(name)) {
      const address = tolerant(() => parseNameAddr(value));
      if (address) tolerant(() => parseUri(address.uri));
    }
  }
  for (const cseq of headers.getAll("CSeq")) tolerant(() => parseCSeq(cseq));
  for (const auth of headers.getAll("Authorization")) tolerant(() => parseDigestCredentials(auth));
  // Round trip: what parsed must serialize (unless a value holds a lone CR) and parse back the same.
  let wire: Buffer;
  try {
    wire = serializeMessage(message);
  } catch (error) {
    if (error instanceof TypeError) return;
    throw error;
  }
  const again = shape(parseMessage(wire, GENEROUS));
  // isDeepStrictEqual is much cheaper than expect().toEqual; the latter only runs to show a diff.
  if (!isDeepStrictEqual(again, shape(message))) expect(again).toEqual(shape(message));
}

/** Parses with a time check; the slow-parse check repeats once so a GC pause is not a failure. */
function timedParse(input: Buffer, slowest: { ms: number }): SipMessage | undefined {
  const started = performance.now();
  const message = tolerant(() => parseMessage(input));
  let elapsed = performance.now() - started;
  if (elapsed > MAX_SINGLE_MS) {
    const again = performance.now();
    tolerant(() => parseMessage(input));
    elapsed = Math.min(elapsed, performance.now() - again);
  }
  slowest.ms = Math.max(slowest.ms, elapsed);
  if (elapsed >= MAX_SINGLE_MS) throw new Error(`parse took ${elapsed.toFixed(1)} ms`);
  return message;
}

function describeInput(input: Buffer): string {
  const text = JSON.stringify(input.subarray(0, 300).toString("latin1"));
  return `${input.length} bytes: ${text}${input.length > 300 ? "..." : ""}`;
}

describe("SIP fuzzing", () => {
  it(`survives ${MUTATIONS} mutations of valid messages (seed ${BASE_SEED})`, () => {
    // Prepare
    const started = performance.now();
    const slowest = { ms: 0 };
    let parsed = 0;

    for (let iteration = 0; iteration < MUTATIONS; iteration++) {
      const rand = prng(BASE_SEED + iteration);
      let input = pick(rand, SEEDS);
      for (let n = 1 + int(rand, 3); n > 0; n--) input = mutate(rand, input);

      // Act / Assert
      try {
        const message = timedParse(input, slowest);
        if (message) {
          parsed++;
          exercise(message);
        }
      } catch (error) {
        throw new Error(
          `SIP_FUZZ_SEED=${BASE_SEED} iteration ${iteration} (prng seed ${BASE_SEED + iteration}) failed on ${describeInput(input)}: ${String(error)}`,
          { cause: error },
        );
      }
    }

    // Assess
    const total = performance.now() - started;
    console.log(
      `sip-fuzz mutations: ${MUTATIONS} inputs, ${parsed} parsed, ${MUTATIONS - parsed} refused, ${total.toFixed(0)} ms, slowest parse ${slowest.ms.toFixed(2)} ms`,
    );
    expect(total).toBeLessThan(MAX_TOTAL_MS);
    expect(parsed).toBeGreaterThan(MUTATIONS / 10);
  });

  it(`survives ${RANDOM_BUFFERS} random buffers (seed ${BASE_SEED})`, () => {
    // Prepare
    const started = performance.now();
    const slowest = { ms: 0 };
    const vocabulary = [
      "INVITE",
      "SIP/2.0",
      "sip:",
      "Via",
      "v",
      "Content-Length",
      "l",
      ":",
      " ",
      "\r\n",
      "0",
      "200",
      ";",
      ",",
      '"',
      "<",
      ">",
      "@",
      "tag=",
    ];

    for (let iteration = 0; iteration < RANDOM_BUFFERS; iteration++) {
      const rand = prng(BASE_SEED ^ (0x9e3779b9 + iteration));
      const input =
        iteration % 2 === 0
          ? Buffer.from(Array.from({ length: int(rand, 2048) }, () => int(rand, 256)))
          : Buffer.from(Array.from({ length: int(rand, 400) }, () => pick(rand, vocabulary)).join(""));

      // Act / Assert
      try {
        const message = timedParse(input, slowest);
        if (message) exercise(message);
      } catch (error) {
        throw new Error(
          `SIP_FUZZ_SEED=${BASE_SEED} random buffer ${iteration} failed on ${describeInput(input)}: ${String(error)}`,
          {
            cause: error,
          },
        );
      }
    }

    // Assess
    const total = performance.now() - started;
    console.log(
      `sip-fuzz random: ${RANDOM_BUFFERS} inputs, ${total.toFixed(0)} ms, slowest parse ${slowest.ms.toFixed(2)} ms`,
    );
    expect(total).toBeLessThan(MAX_TOTAL_MS);
  });

  it(`frames streams the same way however they are chunked (seed ${BASE_SEED})`, () => {
    // Prepare
    const started = performance.now();
    const streamable = SEEDS.filter((seed) => tolerant(() => parseMessage(seed, { stream: true })) !== undefined);
    const chunk = (rand: Random, input: Buffer): Buffer[] => {
      const chunks: Buffer[] = [];
      for (let at = 0; at < input.length; ) {
        const size = rand() < 0.5 ? 1 + int(rand, 3) : 1 + int(rand, 2000);
        chunks.push(input.subarray(at, at + size));
        at += size;
      }
      return chunks;
    };
    const summary = (events: FramerEvent[]) =>
      events.map((event) => (event.type === "message" ? event.message : event.type === "error" ? "error" : "ping"));

    for (let iteration = 0; iteration < STREAM_RUNS; iteration++) {
      const rand = prng(BASE_SEED + 7_000_000 + iteration);
      const parts: Buffer[] = [];
      const expected: SipMessage[] = [];
      for (let n = 1 + int(rand, 5); n > 0; n--) {
        if (rand() < 0.3) parts.push(Buffer.from("\r\n\r\n"));
        const seed = pick(rand, streamable);
        parts.push(seed);
        expected.push(parseMessage(seed, { stream: true }));
      }
      const valid = Buffer.concat(parts);
      const mutated = iteration % 2 === 1;
      const input = mutated ? mutate(rand, valid) : valid;

      try {
        // Act
        const whole = new SipStreamFramer().feed(input);
        const framer = new SipStreamFramer();
        const pieces = chunk(rand, input).flatMap((piece) => framer.feed(piece));

        // Assert
        expect(summary(pieces)).toEqual(summary(whole));
        const errorAt = whole.findIndex((event) => event.type === "error");
        expect(errorAt === -1 || errorAt === whole.length - 1).toBe(true);
        if (!mutated) {
          expect(
            whole.filter((event) => event.type === "message").map((event) => event.type === "message" && event.message),
          ).toEqual(expected);
        }
      } catch (error) {
        throw new Error(
          `SIP_FUZZ_SEED=${BASE_SEED} stream run ${iteration} failed on ${describeInput(input)}: ${String(error)}`,
          {
            cause: error,
          },
        );
      }
    }

    // Assess
    const total = performance.now() - started;
    console.log(`sip-fuzz stream: ${STREAM_RUNS} streams, ${total.toFixed(0)} ms`);
    expect(total).toBeLessThan(MAX_TOTAL_MS);
  });
});
