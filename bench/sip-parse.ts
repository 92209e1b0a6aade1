// Parse rate of a typical authenticated REGISTER, on one core:
//   npx tsx bench/sip-parse.ts [iterations]
// Prints messages per second for parseMessage alone, then for parseMessage + validateRequest +
// the header parsers a registrar runs (Via, To, Contact, CSeq, digest credentials).

import { parseDigestCredentials } from "../listener/sip/auth-fields.js";
import type { SipRequest } from "../listener/sip/message.js";
import { parseNameAddr } from "../listener/sip/name-addr.js";
import { parseMessage } from "../listener/sip/parser.js";
import { validateRequest } from "../listener/sip/validate.js";
import { parseVia } from "../listener/sip/via.js";

const REGISTER = Buffer.from(
  [
    "REGISTER sip:pbx.example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---4f1c3d2a9b8e7f60;rport",
    "Max-Forwards: 70",
    'Contact: <sip:1001@192.0.2.10:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-001565a1b2c3>";expires=3600',
    'To: "1001" <sip:1001@pbx.example.com>',
    'From: "1001" <sip:1001@pbx.example.com>;tag=8a7d6c5b',
    "Call-ID: 5f0e8a1c-2b3d-4e5f-9a8b-7c6d5e4f3a2b@192.0.2.10",
    "CSeq: 2 REGISTER",
    "Expires: 3600",
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE",
    "Supported: replaces, path, timer, eventlist",
    "User-Agent: Yealink SIP-T46U 108.86.0.45",
    'Authorization: Digest username="1001", realm="pbx.example.com", nonce="6a3f9c1e2b7d4f80a5e6c3b2d1f0e9a8", uri="sip:pbx.example.com", response="3b1f6c2d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c", algorithm=SHA-256, cnonce="0a4f113b", qop=auth, nc=00000001, opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    "Allow-Events: presence, kpml, talk",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n"),
);

const iterations = Number(process.argv[2] ?? 1_000_000);

function run(label: string, work: () => void): void {
  for (let i = 0; i < 50_000; i++) work(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = Math.round(iterations / seconds);
  console.log(`${label}: ${rate.toLocaleString("en-US")} messages/s (${iterations} in ${seconds.toFixed(2)} s)`);
}

console.log(`REGISTER of ${REGISTER.length} bytes, Node ${process.version}`);
run("parseMessage", () => {
  parseMessage(REGISTER);
});
run("parseMessage + validate + header parsers", () => {
  const request = parseMessage(REGISTER) as SipRequest;
  if (validateRequest(request).length > 0) throw new Error("invalid");
  parseVia(request.headers.get("Via") ?? "");
  parseNameAddr(request.headers.get("Contact") ?? "");
  parseDigestCredentials(request.headers.get("Authorization") ?? "");
});
