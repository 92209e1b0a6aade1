import { describe, expect, it } from "vitest";
import {
  formatDigestChallenge,
  parseAuthHeader,
  parseDigestChallenge,
  parseDigestCredentials,
} from "../../listener/sip/auth-fields.js";
import { unquote } from "../../listener/sip/chars.js";
import { SipParseError } from "../../listener/sip/errors.js";
import { canonicalHeaderName, SipHeaders } from "../../listener/sip/header-fields.js";
import {
  formatCSeq,
  parseCSeq,
  parseDeltaSeconds,
  parseExpires,
  parseMaxForwards,
} from "../../listener/sip/headers.js";
import { isSipRequest, type SipMessage, type SipRequest, type SipResponse } from "../../listener/sip/message.js";
import { formatNameAddr, getTag, parseNameAddr } from "../../listener/sip/name-addr.js";
import { parseMessage } from "../../listener/sip/parser.js";
import { buildResponse, serializeMessage } from "../../listener/sip/serialize.js";
import { formatUri, parseUri } from "../../listener/sip/uri.js";
import { validateRequest } from "../../listener/sip/validate.js";
import { formatVia, parseVia } from "../../listener/sip/via.js";
import {
  DBLREQ,
  ESC01,
  ESC02,
  ESCNULL,
  INTMETH,
  LWSDISP,
  NOREASON,
  REGISTER,
  SEMIURI,
  sipMessage,
  TRANSPORTS,
  UNREASON,
  VALID_MESSAGES,
  WSINV,
} from "./sip-messages.js";

function request(input: Buffer | string): SipRequest {
  const message = parseMessage(input);
  if (!isSipRequest(message)) throw new Error("expected a request");
  return message;
}

function response(input: Buffer | string): SipResponse {
  const message = parseMessage(input);
  if (isSipRequest(message)) throw new Error("expected a response");
  return message;
}

/** The SipParseError that `fn` throws (fails the test when it returns or throws something else). */
function parseError(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SipParseError) return error;
    throw error;
  }
  throw new Error("expected a SipParseError");
}

/** A minimal valid request around the given extra lines (in place of the usual headers when `replace`). */
function options(extra: string[] = [], startLine = "OPTIONS sip:user@example.com SIP/2.0"): Buffer {
  return sipMessage([
    startLine,
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw",
    "To: <sip:user@example.com>",
    "From: <sip:caller@example.net>;tag=1",
    "Call-ID: test.1@192.0.2.1",
    "CSeq: 1 OPTIONS",
    "Max-Forwards: 70",
    ...extra,
    "Content-Length: {CL}",
  ]);
}

describe("SIP parser: valid messages (RFC 4475 §3.1.1)", () => {
  it("wsinv: folding, odd whitespace, compact forms and multiple Vias in one header", () => {
    // Act
    const msg = request(WSINV);

    // Assert
    expect(msg.method).toBe("INVITE");
    expect(msg.uri).toBe("sip:vivekg@chair-dnrc.example.com;unknownparam");
    expect(msg.version).toBe("SIP/2.0");
    expect(validateRequest(msg)).toEqual([]);
    const to = parseNameAddr(msg.headers.get("To") ?? "");
    expect(to.uri).toBe("sip:vivekg@chair-dnrc.example.com");
    expect(to.params.get("tag")).toBe("1918181833n");
    const from = parseNameAddr(msg.headers.get("from") ?? "");
    expect(from.displayName).toBe('J Rosenberg \\"');
    expect(from.params.get("tag")).toBe("98asjd8");
    expect(parseMaxForwards(msg.headers.get("Max-Forwards") ?? "")).toBe(68);
    expect(parseCSeq(msg.headers.get("CSeq") ?? "")).toEqual({ seq: 9, method: "INVITE" });
    const vias = msg.headers.getAll("Via").map(parseVia);
    expect(vias.map((v) => [v.transport, v.host, v.params.get("branch")])).toEqual([
      ["UDP", "192.0.2.2", "390skdjuw"],
      ["TCP", "spindle.example.com", "z9hG4bK9ikj8"],
      ["UDP", "192.168.255.111", "z9hG4bK30239"],
    ]);
    expect(msg.headers.get("Subject")).toBe("");
    expect(msg.headers.get("NewFangledHeader")).toBe("newfangled value continued newfangled value");
    expect(msg.headers.getAll("UnknownHeaderWithUnusualValue")).toEqual([";;,,;;,;"]);
    expect(msg.headers.getAll("Route")).toEqual(["<sip:services.example.com;lr;unknownwith=value;unknown-no-value>"]);
    const contact = parseNameAddr(msg.headers.get("Contact") ?? "");
    expect(contact.displayName).toBe('Quoted string ""');
    expect([...contact.params]).toEqual([
      ["newparam", "newvalue"],
      ["secondparam", null],
      ["q", "0.33"],
    ]);
    expect(msg.body.toString("utf8")).toMatch(/^v=0\r\n/);
  });

  it("intmeth: the whole range of token and word characters", () => {
    // Act
    const msg = request(INTMETH);

    // Assert
    expect(msg.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(validateRequest(msg)).toEqual([]);
    expect(msg.headers.get("Call-ID")).toBe("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    expect(parseNameAddr(msg.headers.get("To") ?? "").displayName).toBe("BEL:\x07 NUL:\x00 DEL:\x7F");
    const from = parseNameAddr(msg.headers.get("From") ?? "");
    expect(from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(from.params.get("tag")).toBe("_token~1'+`*%!-.");
    expect(unquote(from.params.get("fromparam''~+*_!.-%") ?? "")).toBe("работающий");
    expect(msg.headers.get("extensionHeader-!.%*+_`'~")).toBe("\uFEFF大停電");
    // The Request-URI carries a password: kept as received, refused by parseUri.
    expect(() => parseUri(msg.uri)).toThrow(SipParseError);
  });

  it("esc01: percent-escapes in the Request-URI, To, From and Contact", () => {
    // Act
    const msg = request(ESC01);

    // Assert
    expect(parseUri(msg.uri).user).toBe("sips:user@example.com");
    expect(parseUri(parseNameAddr(msg.headers.get("To") ?? "").uri).user).toBe("user");
    expect(parseUri(parseNameAddr(msg.headers.get("From") ?? "").uri).user).toBe("I have spaces");
    const contact = parseUri(parseNameAddr(msg.headers.get("m") ?? "").uri);
    expect(contact.user).toBe("caller");
    expect([...contact.params]).toEqual([
      ["lr", "lr"],
      ["name", "value%41"],
    ]);
    expect(msg.headers.get("Call-ID")).toBe("esc01.239409asdfakjkn23onasd0-3234");
    expect(msg.headers.get("Content-Type")).toBe("application/sdp");
  });

  it("escnull: escaped NULs decode to NUL characters", () => {
    // Act
    const msg = request(ESCNULL);

    // Assert
    expect(validateRequest(msg)).toEqual([]);
    expect(msg.headers.getAll("Contact").map((c) => parseUri(parseNameAddr(c).uri).user)).toEqual(["\0", "\0\0"]);
    expect(parseUri(parseNameAddr(msg.headers.get("To") ?? "").uri).user).toBe("null-\0-null");
    expect(msg.headers.get("Content-Length")).toBe("0");
  });

  it("esc02: % that is not an escape, in a method and in a header name", () => {
    // Act
    const msg = request(ESC02);

    // Assert
    expect(msg.method).toBe("RE%47IST%45R");
    expect(validateRequest(msg)).toEqual([]);
    expect(msg.headers.getAll("Contact")).toEqual(["<sip:alias1@host1.example.com>", "<sip:alias3@host3.example.com>"]);
    expect(msg.headers.get("c%6Fntact")).toBe("<sip:alias2@host2.example.com>");
    expect(parseNameAddr(msg.headers.get("To") ?? "").displayName).toBe("%Z%45");
    expect(parseVia(msg.headers.get("Via") ?? "").params.get("rport")).toBeNull();
  });

  it("lwsdisp: no whitespace between display name and <", () => {
    // Act
    const from = parseNameAddr(request(LWSDISP).headers.get("From") ?? "");

    // Assert
    expect(from).toEqual({ displayName: "caller", uri: "sip:caller@example.com", params: new Map([["tag", "323"]]) });
  });

  it("dblreq: octets after Content-Length in a datagram are discarded (RFC 3261 §18.3), or refused on request", () => {
    // Act
    const msg = request(DBLREQ);

    // Assert
    expect(msg.method).toBe("REGISTER");
    expect(msg.body.length).toBe(0);
    expect(parseError(() => parseMessage(DBLREQ, { trailingBytes: "reject" })).reason).toBe(
      "Body longer than Content-Length",
    );
  });

  it("semiuri: ; in the user part; a folded, comma-separated Accept list", () => {
    // Act
    const msg = request(SEMIURI);

    // Assert
    const uri = parseUri(msg.uri);
    expect(uri.user).toBe("user;par=u@example.net");
    expect(uri.host).toBe("example.com");
    expect(msg.headers.getAll("Accept")).toEqual([
      "application/sdp",
      "application/pkcs7-mime",
      "multipart/mixed",
      "multipart/signed",
      "message/sip",
      "message/sipfrag",
    ]);
  });

  it("transports: known and unknown transports in Via", () => {
    // Act
    const vias = request(TRANSPORTS).headers.getAll("v").map(parseVia);

    // Assert
    expect(vias.map((v) => v.transport)).toEqual(["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
  });

  it("unreason and noreason: UTF-8 and empty reason phrases", () => {
    // Act
    const utf8 = response(UNREASON);
    const empty = response(NOREASON);

    // Assert
    expect(utf8.status).toBe(200);
    expect(utf8.reason).toBe("= 2**3 * 5**2 но сто девяносто девять - простое");
    expect(empty.status).toBe(100);
    expect(empty.reason).toBe("");
  });

  it("accepts bare LF line ends and the same message with CRLF identically", () => {
    // Prepare
    const lines = [
      "OPTIONS sip:user@example.com SIP/2.0",
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1",
      "To: <sip:user@example.com>",
      "From: <sip:caller@example.net>;tag=1",
      "Call-ID: lf@192.0.2.1",
      "CSeq: 1 OPTIONS",
      "Subject: folded",
      "\tover a tab",
      "Content-Length: {CL}",
    ];

    // Act
    const lf = parseMessage(sipMessage(lines, "hello\n", "\n"));
    const crlf = parseMessage(sipMessage(lines, "hello\n", "\r\n"));

    // Assert
    expect(lf).toEqual(crlf);
    expect(lf.headers.get("Subject")).toBe("folded over a tab");
  });

  it("ignores CRLFs before the start line (RFC 3261 §7.5)", () => {
    // Act
    const msg = request(Buffer.concat([Buffer.from("\r\n\r\n"), REGISTER]));

    // Assert
    expect(msg.method).toBe("REGISTER");
  });

  it("accepts a string as well as a Buffer", () => {
    expect(parseMessage(REGISTER.toString("utf8"))).toEqual(parseMessage(REGISTER));
  });

  it("treats Vias in one header and in separate headers the same way", () => {
    // Act
    const together = request(
      options(["Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK2, SIP/2.0/TCP [2001:db8::1]:5070"]),
    );
    const apart = request(
      options(["Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK2", "Via: SIP/2.0/TCP [2001:db8::1]:5070"]),
    );

    // Assert
    expect(together.headers.getAll("Via")).toEqual(apart.headers.getAll("Via"));
    expect(together.headers.getAll("Via")).toHaveLength(3);
  });

  it("splits list headers on commas outside quotes and <>, and never splits other headers", () => {
    // Act
    const msg = request(
      options([
        'Contact: "Doe, John" <sip:john@a.example.com;transport=tcp>;expires=60, <sip:john@b.example.com>;q=0.5',
        "Subject: one, two",
        "Date: Sat, 13 Nov 2010 23:29:00 GMT",
        'Authorization: Digest username="a,b", realm="r", nonce="n", uri="sip:x", response="00"',
        "Supported: path, gruu,outbound",
        "Allow:",
      ]),
    );

    // Assert
    expect(msg.headers.getAll("Contact")).toEqual([
      '"Doe, John" <sip:john@a.example.com;transport=tcp>;expires=60',
      "<sip:john@b.example.com>;q=0.5",
    ]);
    expect(msg.headers.getAll("Subject")).toEqual(["one, two"]);
    expect(msg.headers.getAll("Date")).toEqual(["Sat, 13 Nov 2010 23:29:00 GMT"]);
    expect(msg.headers.getAll("Authorization")).toHaveLength(1);
    expect(msg.headers.getAll("k")).toEqual(["path", "gruu", "outbound"]);
    expect(msg.headers.getAll("Allow")).toEqual([""]);
  });

  it("parses a long but legal message (RFC 4475 §3.1.1.7 longreq in spirit)", () => {
    // Prepare
    const vias = Array.from({ length: 40 }, (_, i) => `Via: SIP/2.0/TCP sip${i}.example.com;branch=z9hG4bK${i}`);
    const input = options([...vias, `X-Long: ${"x".repeat(4000)}`, `Subject: ${"word ".repeat(800)}`]);

    // Act
    const msg = request(input);

    // Assert
    expect(msg.headers.getAll("Via")).toHaveLength(41);
    expect(msg.headers.get("X-Long")).toHaveLength(4000);
  });
});

describe("SIP parser: header names", () => {
  it("expands every compact form", () => {
    // Prepare
    const compact: Record<string, string> = {
      i: "Call-ID",
      m: "Contact",
      e: "Content-Encoding",
      l: "Content-Length",
      c: "Content-Type",
      f: "From",
      s: "Subject",
      k: "Supported",
      t: "To",
      v: "Via",
      o: "Event",
      r: "Refer-To",
      u: "Allow-Events",
      b: "Referred-By",
      x: "Session-Expires",
      y: "Identity",
      a: "Accept-Contact",
      j: "Reject-Contact",
      d: "Request-Disposition",
    };

    // Act / Assert
    for (const [letter, long] of Object.entries(compact)) {
      expect(canonicalHeaderName(letter)).toBe(long);
      expect(canonicalHeaderName(letter.toUpperCase())).toBe(long);
    }
  });

  it("looks headers up case-insensitively, by long or compact name, keeping order", () => {
    // Prepare
    const headers = new SipHeaders([
      ["v", "SIP/2.0/UDP a"],
      ["X-Custom", "1"],
      ["VIA", "SIP/2.0/UDP b"],
      ["call-id", "abc"],
    ]);

    // Act
    headers.append("x-custom", "2");
    headers.set("CALL-ID", "def");

    // Assert
    expect(headers.getAll("via")).toEqual(["SIP/2.0/UDP a", "SIP/2.0/UDP b"]);
    expect(headers.get("X-CUSTOM")).toBe("1");
    expect(headers.getAll("x-custom")).toEqual(["1", "2"]);
    expect(headers.get("i")).toBe("def");
    expect([...headers].map(([name]) => name)).toEqual(["Via", "X-Custom", "Via", "Call-ID", "x-custom"]);
    expect(headers.delete("Via")).toBe(2);
    expect(headers.has("v")).toBe(false);
    expect(headers.size).toBe(3);
  });
});

describe("SIP parser: invalid messages (RFC 4475 §3.1.2 and limits)", () => {
  it("clerr: Content-Length larger than the datagram's body, still answerable", () => {
    // Prepare
    const input = sipMessage(
      [
        "INVITE sip:user@example.com SIP/2.0",
        "Max-Forwards: 80",
        "To: sip:j.user@example.com",
        "From: sip:caller@example.net;tag=93942939o2",
        "Contact: <sip:caller@hungry.example.net>",
        "Call-ID: clerr.0ha0isndaksdjweiafasdk3",
        "CSeq: 8 INVITE",
        "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523",
        "Content-Type: application/sdp",
        "Content-Length: 9999",
      ],
      "v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.155\r\n",
    );

    // Act
    const error = parseError(() => parseMessage(input));

    // Assert
    expect(error.reason).toBe("Body shorter than Content-Length");
    expect(error.isRequest).toBe(true);
    expect(error.status).toBe(400);
    const answer = buildResponse(error.request as NonNullable<SipParseError["request"]>, 400, error.reason);
    expect(answer.headers.get("Call-ID")).toBe("clerr.0ha0isndaksdjweiafasdk3");
    expect(answer.headers.get("Via")).toBe("SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523");
  });

  it.each([
    ["ncl: negative", "-999", "Invalid Content-Length"],
    ["a sign", "+5", "Invalid Content-Length"],
    ["inner space", "1 0", "Invalid Content-Length"],
    ["empty", "", "Invalid Content-Length"],
    ["huge", "99999999999999999999999999", "Invalid Content-Length"],
    ["over the message limit", "70000", "Content-Length too large"],
  ])("refuses a Content-Length that is %s", (_label, value, reason) => {
    // Act
    const error = parseError(() => parseMessage(options([`Content-Length: ${value}`])));

    // Assert
    expect(error.reason).toBe(reason);
  });

  it("mcl01: refuses conflicting Content-Length values", () => {
    // Prepare
    const input = sipMessage(
      [
        "OPTIONS sip:user@example.com SIP/2.0",
        "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423",
        "To: sip:user@example.com",
        "From: sip:other@example.net;tag=3923942",
        "Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf",
        "CSeq: 15932 OPTIONS",
        "Content-Length: 13",
        "Max-Forwards: 60",
        "Content-Length: 5",
        "Content-Type: text/plain",
      ],
      "There's no way to know how many octets are supposed to be here.\r\n",
    );

    // Act / Assert
    expect(parseError(() => parseMessage(input)).reason).toBe("Conflicting Content-Length");
  });

  it.each([
    ["ltgtruri: <> around the Request-URI", "INVITE <sip:user@example.com> SIP/2.0", "Invalid Request-URI"],
    ["lwsruri: LWS inside the Request-URI", "INVITE sip:user@example.com; lr SIP/2.0", "Malformed request line"],
    ["lwsstart: several SP between elements", "INVITE  sip:user@example.com  SIP/2.0", "Malformed request line"],
    ["trws: SP after the version", "OPTIONS sip:remote-target@example.com SIP/2.0  ", "Malformed request line"],
    ["no version", "INVITE sip:user@example.com", "Malformed request line"],
    ["a method alone", "INVITE", "Malformed request line"],
    ["a non-token method", "INV(TE sip:user@example.com SIP/2.0", "Invalid method"],
    ["a URI without scheme", "INVITE user@example.com SIP/2.0", "Invalid Request-URI"],
    ["badvers: SIP/7.0", "OPTIONS sip:t.watson@example.org SIP/7.0", "Version Not Supported"],
    ["version 2.0 without SIP", "OPTIONS sip:t.watson@example.org HTTP/2.0", "Version Not Supported"],
  ])("refuses a request line with %s", (_label, startLine, reason) => {
    // Act
    const error = parseError(() => parseMessage(options([], startLine)));

    // Assert
    expect(error.reason).toBe(reason);
    expect(error.isRequest).toBe(true);
    expect(error.request?.headers.get("Call-ID")).toBe("test.1@192.0.2.1");
  });

  it("answers an unknown version with 505", () => {
    expect(parseError(() => parseMessage(options([], "OPTIONS sip:a@example.org SIP/7.0"))).status).toBe(505);
  });

  it("accepts the version in lower case (ABNF literals are case-insensitive)", () => {
    expect(request(options([], "OPTIONS sip:user@example.com sip/2.0")).version).toBe("SIP/2.0");
  });

  it.each([
    ["bigcode: an overlarge status code", "SIP/2.0 4294967301 better not break the receiver"],
    ["a status below 100", "SIP/2.0 099 Too Low"],
    ["a status above 699", "SIP/2.0 700 Too High"],
    ["a two-digit status", "SIP/2.0 20 OK"],
    ["no status", "SIP/2.0"],
    ["SIP/1.0", "SIP/1.0 200 OK"],
  ])("refuses a status line with %s", (_label, startLine) => {
    // Prepare
    const input = sipMessage([
      startLine,
      "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
      "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3",
      "CSeq: 3923239 OPTIONS",
      "From: <sip:user@example.com>;tag=39ansfi3",
      "To: <sip:user@example.edu>;tag=902jndnke3",
      "Content-Length: 0",
    ]);

    // Act
    const error = parseError(() => parseMessage(input));

    // Assert
    expect(error.isRequest).toBe(false);
  });

  it("refuses a header without a colon, still collecting the headers after it", () => {
    // Act
    const error = parseError(() => parseMessage(options(["This line has no colon"])));

    // Assert
    expect(error.reason).toBe("Header without colon");
    expect(error.request?.headers.get("Content-Length")).toBe("0");
    expect(error.request?.method).toBe("OPTIONS");
  });

  it.each([
    ["a space in the name", "Bad Name: value", "Invalid header name"],
    ["an empty name", ": value", "Invalid header name"],
    ["a non-token name", "X(y): value", "Invalid header name"],
  ])("refuses a header with %s", (_label, line, reason) => {
    expect(parseError(() => parseMessage(options([line]))).reason).toBe(reason);
  });

  it("refuses a continuation line right after the start line", () => {
    // Prepare
    const input = sipMessage(["OPTIONS sip:user@example.com SIP/2.0", " folded: nothing", "Content-Length: 0"]);

    // Act / Assert
    expect(parseError(() => parseMessage(input)).reason).toBe("Continuation line without a header");
  });

  it("refuses a message without the empty line that ends the headers", () => {
    // Prepare
    const input = "OPTIONS sip:user@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n";

    // Act / Assert
    expect(parseError(() => parseMessage(input)).reason).toBe("Incomplete message header");
    expect(parseError(() => parseMessage("OPTIONS sip:user@example.com SIP/2.0")).isRequest).toBe(true);
  });

  it("refuses empty input and input made only of CRLFs", () => {
    expect(parseError(() => parseMessage("")).reason).toBe("Empty message");
    expect(parseError(() => parseMessage("\r\n\r\n")).reason).toBe("Empty message");
  });

  it("refuses a message over 65,535 bytes with 513", () => {
    // Prepare
    const input = options([`X-Big: ${"y".repeat(8000)}`]).toString() + "z".repeat(60_000);

    // Act
    const error = parseError(() => parseMessage(input));

    // Assert
    expect(error.reason).toBe("Message Too Large");
    expect(error.status).toBe(513);
    expect(error.isRequest).toBe(true);
  });

  it("refuses more than 100 headers", () => {
    // Prepare
    const input = options(Array.from({ length: 94 }, (_, i) => `X-H${i}: ${i}`));

    // Act / Assert
    expect(parseError(() => parseMessage(input)).reason).toBe("Too many headers");
    expect(() => parseMessage(options(Array.from({ length: 92 }, (_, i) => `X-H${i}: ${i}`)))).not.toThrow();
  });

  it("refuses a header line over 8 KiB, including one made long by folding", () => {
    // Prepare
    const long = options([`X-Long: ${"a".repeat(8200)}`]);
    const folded = options(["X-Folded: start", ...Array.from({ length: 200 }, () => ` ${"b".repeat(50)}`)]);

    // Act / Assert
    expect(parseError(() => parseMessage(long)).reason).toBe("Header line too long");
    expect(parseError(() => parseMessage(folded)).reason).toBe("Header line too long");
  });

  it("refuses a start line over 8 KiB with 414", () => {
    // Prepare
    const input = options([], `OPTIONS sip:${"u".repeat(8200)}@example.com SIP/2.0`);

    // Act
    const error = parseError(() => parseMessage(input));

    // Assert
    expect(error.status).toBe(414);
  });

  it("applies custom limits", () => {
    expect(parseError(() => parseMessage(REGISTER, { maxMessageSize: 200 })).status).toBe(513);
    expect(parseError(() => parseMessage(REGISTER, { maxHeaders: 5 })).reason).toBe("Too many headers");
    expect(parseError(() => parseMessage(REGISTER, { maxHeaderLine: 100 })).reason).toBe("Header line too long");
  });

  it("requires an exact Content-Length in stream mode", () => {
    // Prepare
    const withoutLength = Buffer.from(
      "OPTIONS sip:user@example.com SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\n\r\nbody",
    );

    // Act / Assert
    expect(request(withoutLength).body.toString()).toBe("body");
    expect(parseError(() => parseMessage(withoutLength, { stream: true })).reason).toBe("Missing Content-Length");
    expect(parseError(() => parseMessage(DBLREQ, { stream: true })).reason).toBe("Body longer than Content-Length");
  });
});

describe("validateRequest", () => {
  it("accepts a complete request", () => {
    expect(validateRequest(request(REGISTER))).toEqual([]);
  });

  it("insuf: reports missing To, From and Call-ID", () => {
    // Prepare
    const input = sipMessage([
      "INVITE sip:user@example.com SIP/2.0",
      "CSeq: 193942 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf",
      "Content-Type: application/sdp",
      "l: {CL}",
    ]);

    // Act / Assert
    expect(validateRequest(request(input))).toEqual([
      "Missing From header",
      "Missing To header",
      "Missing Call-ID header",
    ]);
  });

  it("reports a missing Via", () => {
    // Prepare
    const input = sipMessage([
      "OPTIONS sip:user@example.com SIP/2.0",
      "To: <sip:user@example.com>",
      "From: <sip:caller@example.net>;tag=1",
      "Call-ID: novia",
      "CSeq: 1 OPTIONS",
      "Content-Length: 0",
    ]);

    // Act / Assert
    expect(validateRequest(request(input))).toEqual(["Missing Via header"]);
  });

  it.each([
    ["mismatch01", "OPTIONS sip:user@example.com SIP/2.0", "CSeq: 8 INVITE"],
    ["mismatch02: unknown method", "NEWMETHOD sip:user@example.com SIP/2.0", "CSeq: 8 INVITE"],
  ])("%s: reports a CSeq method that differs from the request method", (_label, startLine, cseq) => {
    // Prepare
    const input = sipMessage([
      startLine,
      "To: sip:j.user@example.com",
      "From: sip:caller@example.net;tag=34525",
      "Max-Forwards: 6",
      "Call-ID: mismatch01.dj0234sxdfl3",
      cseq,
      "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw",
      "l: 0",
    ]);

    // Act / Assert
    expect(validateRequest(request(input))).toEqual(["CSeq method does not match request method"]);
  });

  it("multi01: reports several values of single-value headers", () => {
    // Prepare
    const input = sipMessage([
      "INVITE sip:user@company.com SIP/2.0",
      "Contact: <sip:caller@host25.example.net>",
      "Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw",
      "Max-Forwards: 70",
      "CSeq: 5 INVITE",
      "Call-ID: multi01.98asdh@192.0.2.1",
      "CSeq: 59 INVITE",
      "Call-ID: multi01.98asdh@192.0.2.2",
      "From: sip:caller@example.com;tag=3413415",
      "To: sip:user@example.com",
      "To: sip:other@example.net",
      "From: sip:caller@example.net;tag=2923420123",
      "Content-Type: application/sdp",
      "l: 0",
      "Contact: <sip:caller@host36.example.net>",
      "Max-Forwards: 5",
    ]);

    // Act / Assert
    expect(validateRequest(request(input))).toEqual([
      "Multiple From headers",
      "Multiple To headers",
      "Multiple Call-ID headers",
      "Multiple CSeq headers",
      "Invalid Max-Forwards header",
    ]);
  });

  it("scalar02: reports overlarge CSeq and Max-Forwards values", () => {
    // Prepare
    const input = sipMessage([
      "REGISTER sip:example.com SIP/2.0",
      "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3",
      "To: <sip:user@example.com>",
      "From: <sip:user@example.com>;tag=239232jh3",
      "CSeq: 36893488147419103232 REGISTER",
      "Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32",
      "Max-Forwards: 300",
      "Expires: 1000000000000000000000000000000000000000",
      "Contact: <sip:user@host129.example.com>",
      "  ;expires=280297596632815",
      "Content-Length: 0",
    ]);

    // Act
    const msg = request(input);

    // Assert
    expect(validateRequest(msg)).toEqual(["Malformed CSeq header", "Invalid Max-Forwards header"]);
    expect(parseDeltaSeconds(msg.headers.get("Expires") ?? "")).toBe(4_294_967_295);
  });

  it.each([
    ["badinv01: extraneous separators in Via", "Via: SIP/2.0/UDP 192.0.2.15;;,;,,", "Malformed Via header"],
    [
      "quotbal: an unterminated quoted display name",
      'To: "Mr. J. User <sip:j.user@example.com>',
      "Malformed To header",
    ],
    [
      "baddn: a comma in an unquoted display name",
      "From: Bell, Alexander <sip:a.g.bell@bell-tel.com>;tag=43",
      "Malformed From header",
    ],
    ["badaspec: spaces inside <>", 'To: "Watson, Thomas" < sip:t.watson@example.org >', "Malformed To header"],
    ["an empty Call-ID", "Call-ID:", "Malformed Call-ID header"],
  ])("%s", (_label, line, problem) => {
    // Prepare
    const name = line.slice(0, line.indexOf(":"));
    const base = [
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw",
      "To: <sip:user@example.com>",
      "From: <sip:caller@example.net>;tag=1",
      "Call-ID: test.1@192.0.2.1",
    ].filter((header) => !header.startsWith(`${name}:`));
    const input = sipMessage(["OPTIONS sip:user@example.com SIP/2.0", ...base, line, "CSeq: 1 OPTIONS", "l: 0"]);

    // Act / Assert
    expect(validateRequest(request(input))).toContain(problem);
  });
});

describe("SIP URIs", () => {
  it("parses every part", () => {
    // Act
    const uri = parseUri("sip:alice@Atlanta.Example.COM:5070;transport=tcp;lr?subject=project%20x&priority=urgent");

    // Assert
    expect(uri).toEqual({
      scheme: "sip",
      user: "alice",
      host: "atlanta.example.com",
      port: 5070,
      params: new Map([
        ["transport", "tcp"],
        ["lr", null],
      ]),
      headers: [
        ["subject", "project x"],
        ["priority", "urgent"],
      ],
    });
  });

  it.each([
    ["sips:1001@192.0.2.4", { scheme: "sips", user: "1001", host: "192.0.2.4", port: undefined }],
    ["SIP:[2001:DB8::1]:5061", { scheme: "sip", user: undefined, host: "[2001:db8::1]", port: 5061 }],
    ["sip:pbx.example.com.", { scheme: "sip", user: undefined, host: "pbx.example.com.", port: undefined }],
    [
      "sip:+15551234567;phone-context=x@gw.example.com",
      { user: "+15551234567;phone-context=x", host: "gw.example.com" },
    ],
  ])("parses %s", (text, expected) => {
    expect(parseUri(text)).toMatchObject(expected);
  });

  it("regescrt: keeps escaped headers of a Contact URI", () => {
    // Act
    const uri = parseUri(parseNameAddr("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>").uri);

    // Assert
    expect(uri.headers).toEqual([["Route", "<sip:sip.example.com>"]]);
  });

  it("escruri: refuses headers where they are not allowed (Request-URI)", () => {
    expect(
      parseError(() => parseUri("sip:user@example.com?Route=%3Csip:example.com%3E", { allowHeaders: false })).reason,
    ).toBe("Headers not allowed in this URI");
  });

  it("refuses a password", () => {
    expect(parseError(() => parseUri("sip:alice:secret@example.com")).reason).toBe("Password in URI not allowed");
  });

  it("answers other schemes with 416 (unksm, novelsc)", () => {
    expect(parseError(() => parseUri("nobodyknowsthisscheme:totallyopaquecontent")).status).toBe(416);
    expect(parseError(() => parseUri("soap.beep://192.0.2.103:3002")).status).toBe(416);
    expect(parseError(() => parseUri("tel:+15551234567")).status).toBe(416);
  });

  it.each([
    "sip:",
    "sip:@example.com",
    "sip:user@",
    "sip:user@exa_mple.com",
    "sip:user@999.1.1.1",
    "sip:user@1.2.3",
    "sip:user@[zz::1]",
    "sip:user@[2001:db8::1",
    "sip:user@example.com:70000",
    "sip:user@example.com:",
    "sip:user@example.com:5060x",
    "sip:us%G1er@example.com",
    "sip:us%4@example.com",
    "sip:us%C3@example.com",
    "sip:us er@example.com",
    "sip:user@example.com;lr;lr",
    "sip:user@example.com;=x",
    "sip:user@example.com?",
    "sip:user@example.com?a",
    "sip:user@example.com?a=b&",
    "sip:user@a..b",
    "sip",
  ])("refuses %s", (text) => {
    expect(() => parseUri(text)).toThrow(SipParseError);
  });

  it("formats URIs, escaping what needs it, and round-trips", () => {
    // Prepare
    const uri = parseUri("sip:I%20have%20spaces@example.net;maddr=239.255.255.1;x=%5Bv%5D?subject=a%26b");

    // Act
    const text = formatUri(uri);

    // Assert
    expect(text).toBe("sip:I%20have%20spaces@example.net;maddr=239.255.255.1;x=[v]?subject=a%26b");
    expect(parseUri(text)).toEqual(uri);
    expect(formatUri({ ...uri, user: "ü@x", params: new Map(), headers: [] })).toBe("sip:%C3%BC%40x@example.net");
  });
});

describe("header parsers", () => {
  it.each([
    ['"Alice" <sip:alice@example.com>;tag=1', "Alice", "sip:alice@example.com", [["tag", "1"]]],
    ["Bob Smith <sip:bob@example.com>", "Bob Smith", "sip:bob@example.com", []],
    [
      "<sip:c@example.com;transport=tcp>;expires=60;q=0.5",
      undefined,
      "sip:c@example.com;transport=tcp",
      [
        ["expires", "60"],
        ["q", "0.5"],
      ],
    ],
    ["sip:d@example.com;tag=x", undefined, "sip:d@example.com", [["tag", "x"]]],
    ["tel:+15551234567", undefined, "tel:+15551234567", []],
    ['"" <sip:e@example.com>', "", "sip:e@example.com", []],
    [
      '<sip:f@example.com>;+sip.instance="<urn:uuid:1;2>";reg-id=1',
      undefined,
      "sip:f@example.com",
      [
        ["+sip.instance", '"<urn:uuid:1;2>"'],
        ["reg-id", "1"],
      ],
    ],
    ["<sip:g@[2001:db8::1]>;received=[2001:db8::2]", undefined, "sip:g@[2001:db8::1]", [["received", "[2001:db8::2]"]]],
  ])("parses the name-addr %s", (value, displayName, uri, params) => {
    expect(parseNameAddr(value)).toEqual({ displayName, uri, params: new Map(params as Array<[string, string]>) });
  });

  it.each([
    ["regbadct: ? in an addr-spec", "sip:user@example.com?Route=%3Csip:sip.example.com%3E"],
    ["a comma in an addr-spec", "sip:a@example.com,sip:b@example.com"],
    ["an unterminated <", "<sip:a@example.com"],
    ["empty <>", "<>"],
    ["a display name without <uri>", '"Alice" sip:alice@example.com'],
    ["a duplicate parameter", "<sip:a@example.com>;tag=1;tag=2"],
    ["an empty parameter", "<sip:a@example.com>;;"],
    ["junk after >", "<sip:a@example.com> junk"],
    ["the wildcard (handled by the registrar)", "*"],
    ["nothing", "  "],
  ])("refuses a name-addr with %s", (_label, value) => {
    expect(() => parseNameAddr(value)).toThrow(SipParseError);
  });

  it("formats name-addrs that parse back to the same value", () => {
    // Prepare
    const original = parseNameAddr('"Say \\"hi\\"" <sip:a@example.com;lr>;tag=abc;flag');

    // Act
    const text = formatNameAddr(original);

    // Assert
    expect(text).toBe('"Say \\"hi\\"" <sip:a@example.com;lr>;tag=abc;flag');
    expect(parseNameAddr(text)).toEqual(original);
    expect(getTag(text)).toBe("abc");
    expect(getTag("<sip:a@example.com>")).toBeUndefined();
  });

  it("parses Via with every usual parameter", () => {
    // Act
    const via = parseVia(
      "SIP/2.0/ws [2001:db8::9]:8443;branch=z9hG4bK1;received=2001:db8::10;rport=50000;maddr=239.1.1.1;ttl=16;alias",
    );

    // Assert
    expect(via).toEqual({
      transport: "WS",
      host: "[2001:db8::9]",
      port: 8443,
      params: new Map([
        ["branch", "z9hG4bK1"],
        ["received", "2001:db8::10"],
        ["rport", "50000"],
        ["maddr", "239.1.1.1"],
        ["ttl", "16"],
        ["alias", null],
      ]),
    });
    expect(parseVia(formatVia(via))).toEqual(via);
    expect(formatVia(parseVia("SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKx"))).toBe(
      "SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKx",
    );
  });

  it.each([
    "SIP/3.0/UDP host",
    "SIPX/2.0/UDP host",
    "SIP/2.0/UDP",
    "SIP/2.0/UDPhost",
    "SIP/2.0/UDP host:70000",
    "SIP/2.0/UDP host:",
    "SIP/2.0/UDP ho_st",
    "SIP/2.0/UDP host;ttl=256",
    "SIP/2.0/UDP host;rport=x",
    "SIP/2.0/UDP host;branch",
    "SIP/2.0/UDP host;received=not_an_ip",
    "SIP/2.0/UDP host junk",
    "SIP/2.0 UDP host",
  ])("refuses the Via %s", (value) => {
    expect(() => parseVia(value)).toThrow(SipParseError);
  });

  it("parses CSeq and refuses malformed ones", () => {
    expect(parseCSeq("4711 REGISTER")).toEqual({ seq: 4711, method: "REGISTER" });
    expect(parseCSeq("4294967295 INVITE").seq).toBe(4_294_967_295);
    expect(formatCSeq({ seq: 1, method: "ACK" })).toBe("1 ACK");
    for (const bad of ["4294967296 INVITE", "INVITE", "1", "1INVITE", "-1 INVITE", "1 INV ITE", "1 INVITE x"]) {
      expect(() => parseCSeq(bad), bad).toThrow(SipParseError);
    }
  });

  it("parses Max-Forwards, delta-seconds and Expires with bounds", () => {
    expect(parseMaxForwards("70")).toBe(70);
    expect(parseMaxForwards("256")).toBeUndefined();
    expect(parseMaxForwards("-1")).toBeUndefined();
    expect(parseDeltaSeconds("0003600")).toBe(3600);
    expect(parseDeltaSeconds("99999999999")).toBe(4_294_967_295);
    expect(parseDeltaSeconds("1e3")).toBeUndefined();
    const bounds = { min: 60, max: 3600 };
    expect(parseExpires("0", bounds)).toEqual({ ok: true, seconds: 0 });
    expect(parseExpires("30", bounds)).toEqual({ ok: false, reason: "too-brief", min: 60 });
    expect(parseExpires(" 600 ", bounds)).toEqual({ ok: true, seconds: 600 });
    expect(parseExpires("86400", bounds)).toEqual({ ok: true, seconds: 3600 });
    expect(parseExpires("soon", bounds)).toEqual({ ok: false, reason: "malformed" });
  });

  it("parses digest credentials with quoted strings, escapes and tokens", () => {
    // Prepare
    const value =
      'Digest username="bob\\"s phone", realm="pbx.example.com",nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093" , ' +
      'uri="sip:pbx.example.com", response="6629FAE49393A05397450978507C4EF1", algorithm=SHA-256, ' +
      'cnonce="0a4f113b", qop=auth, nc=00000001, opaque="5ccc069c403ebaf9f0171e9517f40e41", x-ext=1';

    // Act
    const credentials = parseDigestCredentials(value);

    // Assert
    expect(credentials).toMatchObject({
      username: 'bob"s phone',
      realm: "pbx.example.com",
      nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      uri: "sip:pbx.example.com",
      response: "6629fae49393a05397450978507c4ef1",
      algorithm: "SHA-256",
      cnonce: "0a4f113b",
      qop: "auth",
      nc: "00000001",
      opaque: "5ccc069c403ebaf9f0171e9517f40e41",
      userhash: false,
    });
    expect(credentials.params.get("x-ext")).toBe("1");
  });

  it("defaults the algorithm to MD5 and accepts RFC 2069 credentials without qop", () => {
    // Act
    const credentials = parseDigestCredentials(
      'Digest username="1001",realm="r",nonce="n",uri="sip:r",response="0123456789abcdef0123456789abcdef"',
    );

    // Assert
    expect(credentials.algorithm).toBe("MD5");
    expect(credentials.qop).toBeUndefined();
  });

  it.each([
    ["another scheme", 'Basic username="a"'],
    ["a missing response", 'Digest username="a", realm="r", nonce="n", uri="sip:r"'],
    ["qop without nc", 'Digest username="a", realm="r", nonce="n", uri="sip:r", response="00", qop=auth, cnonce="c"'],
    ["a bad nc", 'Digest username="a", realm="r", nonce="n", uri="sip:r", response="00", qop=auth, cnonce="c", nc=1'],
    ["a non-hex response", 'Digest username="a", realm="r", nonce="n", uri="sip:r", response="zz"'],
    ["a duplicate parameter", 'Digest username="a", username="b", realm="r", nonce="n", uri="sip:r", response="00"'],
    ["an unterminated quote", 'Digest username="a, realm="r'],
    ["a parameter without =", 'Digest username "a"'],
    ["junk between parameters", 'Digest username="a" realm="r"'],
  ])("refuses digest credentials with %s", (_label, value) => {
    expect(() => parseDigestCredentials(value)).toThrow(SipParseError);
  });

  it("formats a WWW-Authenticate challenge that parses back", () => {
    // Prepare
    const challenge = {
      realm: 'pbx "main"',
      nonce: "6a3f9c1e",
      algorithm: "SHA-256",
      qop: ["auth", "auth-int"],
      opaque: "op",
      stale: true,
    };

    // Act
    const text = formatDigestChallenge(challenge);

    // Assert
    expect(text).toBe(
      'Digest realm="pbx \\"main\\"", nonce="6a3f9c1e", algorithm=SHA-256, qop="auth,auth-int", opaque="op", stale=TRUE',
    );
    expect(parseDigestChallenge(text)).toEqual({ ...challenge, domain: undefined, userhash: undefined });
    expect(parseAuthHeader(text).scheme).toBe("Digest");
    expect(formatDigestChallenge({ realm: "r", nonce: "n" })).toBe('Digest realm="r", nonce="n"');
  });
});

describe("serializing", () => {
  it.each(Object.entries(VALID_MESSAGES))(
    "round-trips %s: parse, serialize, parse gives the same message",
    (_name, input) => {
      // Prepare
      const first = parseMessage(input);

      // Act
      const wire = serializeMessage(first);
      const second = parseMessage(wire);

      // Assert
      expect(second).toEqual(first);
      expect(serializeMessage(second).equals(wire)).toBe(true);
    },
  );

  it("writes CRLF lines, canonical names and a Content-Length counted in UTF-8 octets", () => {
    // Prepare
    const msg: SipMessage = {
      method: "MESSAGE",
      uri: "sip:bob@example.com",
      version: "SIP/2.0",
      headers: new SipHeaders([
        ["v", "SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1"],
        ["l", "999"],
        ["c", "text/plain;charset=utf-8"],
      ]),
      body: Buffer.from("héllo wörld ☎", "utf8"),
    };

    // Act
    const wire = serializeMessage(msg).toString("utf8");

    // Assert
    expect(wire).toBe(
      "MESSAGE sip:bob@example.com SIP/2.0\r\n" +
        "Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1\r\n" +
        "Content-Length: 17\r\n" +
        "Content-Type: text/plain;charset=utf-8\r\n" +
        "\r\n" +
        "héllo wörld ☎",
    );
  });

  it("adds Content-Length last when the message has none", () => {
    // Prepare
    const msg = buildResponse(request(REGISTER), 200, "OK", { toTag: "t1" });
    msg.headers.delete("Content-Length");

    // Act
    const lines = serializeMessage(msg).toString().split("\r\n");

    // Assert
    expect(lines.slice(-3)).toEqual(["Content-Length: 0", "", ""]);
  });

  it("refuses values that would inject lines", () => {
    // Prepare
    const msg = buildResponse(request(REGISTER), 200, "OK", { headers: [["X-Evil", "a\r\nVia: injected"]] });

    // Act / Assert
    expect(() => serializeMessage(msg)).toThrow(TypeError);
    expect(() => buildResponse(request(REGISTER), 200, "OK\r\nX: y")).toThrow(TypeError);
    expect(() => serializeMessage({ ...msg, headers: new SipHeaders([["Bad Name", "x"]]) })).toThrow(TypeError);
  });
});

describe("buildResponse (RFC 3261 §8.2.6)", () => {
  const invite = request(
    sipMessage([
      "INVITE sip:bob@biloxi.example.com SIP/2.0",
      "Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1",
      "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1",
      "Max-Forwards: 69",
      "To: Bob <sip:bob@biloxi.example.com>",
      "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774",
      "Call-ID: a84b4c76e66710",
      "CSeq: 314159 INVITE",
      "Timestamp: 54",
      "Contact: <sip:alice@pc33.atlanta.example.com>",
      "Content-Length: 0",
    ]),
  );

  it("copies every Via in order, From, Call-ID and CSeq, and tags To", () => {
    // Act
    const reply = buildResponse(invite, 486, "Busy Here", { toTag: "a6c85cf", headers: [["Retry-After", "30"]] });

    // Assert
    expect(reply.status).toBe(486);
    expect(reply.reason).toBe("Busy Here");
    expect([...reply.headers]).toEqual([
      ["Via", "SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1"],
      ["Via", "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1"],
      ["From", "Alice <sip:alice@atlanta.example.com>;tag=1928301774"],
      ["To", "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf"],
      ["Call-ID", "a84b4c76e66710"],
      ["CSeq", "314159 INVITE"],
      ["Retry-After", "30"],
    ]);
  });

  it("generates a To tag when none is given, and keeps an existing one", () => {
    // Prepare
    const tagged = request(options());
    tagged.headers.set("To", "<sip:user@example.com>;tag=existing");

    // Act
    const generated = getTag(buildResponse(invite, 200, "OK").headers.get("To") ?? "");
    const kept = buildResponse(tagged, 200, "OK", { toTag: "other" }).headers.get("To");

    // Assert
    expect(generated).toMatch(/^[0-9a-f]{16}$/);
    expect(kept).toBe("<sip:user@example.com>;tag=existing");
  });

  it("leaves To untagged in a 100 Trying and copies Timestamp into it", () => {
    // Act
    const trying = buildResponse(invite, 100, "Trying");

    // Assert
    expect(trying.headers.get("To")).toBe("Bob <sip:bob@biloxi.example.com>");
    expect(trying.headers.get("Timestamp")).toBe("54");
    expect(buildResponse(invite, 180, "Ringing").headers.has("Timestamp")).toBe(false);
  });

  it("serializes a response with a text body and parses it back", () => {
    // Act
    const reply = buildResponse(invite, 200, "OK", {
      toTag: "x",
      body: "v=0\r\n",
      headers: [["Content-Type", "application/sdp"]],
    });
    const parsed = response(serializeMessage(reply));

    // Assert
    expect(parsed.status).toBe(200);
    expect(parsed.headers.get("Content-Length")).toBe("5");
    expect(parsed.body.toString()).toBe("v=0\r\n");
  });
});
