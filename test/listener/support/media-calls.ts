import { SipHeaders } from "../../../listener/sip/header-fields.js";
import type { SipRequest, SipResponse } from "../../../listener/sip/message.js";
import { tagOf } from "../../../listener/sip/view.js";
import type { SipUser } from "./fixture.js";
import type { Phone } from "./phone.js";

// SDP and call steps shared by the media relay tests (media-relay*.test.ts).

/** What a browser offers (Chromium's shape): ICE, DTLS-SRTP, rtcp-mux, Opus and G.711. */
export const BROWSER_OFFER = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "a=msid-semantic: WMS",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126",
  "c=IN IP4 0.0.0.0",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0",
  "a=ice-ufrag:Vw9b",
  "a=ice-pwd:9mNAJbqkgqwYyqvkHvQK2Ff0",
  "a=ice-options:trickle",
  "a=fingerprint:sha-256 0D:FD:2D:8C:D0:84:3F:21:39:13:54:B6:5B:4B:7E:2A:4F:2D:0C:0B:6A:91:08:DC:8E:B5:7F:3A:1E:2F:44:5C",
  "a=setup:actpass",
  "a=mid:0",
  "a=sendrecv",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:126 telephone-event/8000",
  "",
].join("\r\n");

export const phoneSdp = (host: string, port: number, direction = "", version = 1) =>
  `v=0\r\no=- 1 ${version} IN IP4 ${host}\r\ns=-\r\nc=IN IP4 ${host}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n${direction ? `a=${direction}\r\n` : ""}`;

/** The browser's offer again with another direction (what JsSIP's hold and unhold send). */
export const browserOffer = (direction: string, version: number) =>
  BROWSER_OFFER.replace("a=sendrecv", `a=${direction}`).replace(" 2 IN IP4", ` ${version} IN IP4`);

export const portOf = (sdp: string) => Number(/^m=audio (\d+) /m.exec(sdp)?.[1]);

/** Caller invites callee's number with `sdp`; the callee answers 200 with `answer`. */
export async function call(
  caller: Phone,
  from: SipUser,
  calleePhone: Phone,
  to: string,
  slug: string,
  sdp: string,
  answer: string,
) {
  const invite = caller.build("INVITE", `sip:${to}@${slug}`, {
    from: `<sip:${from.registrationName}@${slug}>`,
    to: `<sip:${to}@${slug}>`,
    headers: [
      ["Contact", caller.contact(from.registrationName)],
      ["Content-Type", "application/sdp"],
    ],
    body: sdp,
  });
  const final = caller.authenticated(invite, from);
  const inbound: SipRequest = await calleePhone.request("INVITE");
  const ok = calleePhone.answer(inbound, 200, "OK", {
    headers: [
      ["Contact", calleePhone.contact(to)],
      ["Content-Type", "application/sdp"],
    ],
  });
  calleePhone.send({ ...ok, body: Buffer.from(answer) });
  const response: SipResponse = await final;
  return { invite, inbound, response };
}

/** An in-dialog request from `from` along the dialog's route (the 2xx's Record-Route, reversed for the caller). */
export function inDialog(
  from: Phone,
  method: string,
  dialog: { invite: SipRequest; response: SipResponse },
  options: { callerSide: boolean; cseq: number; body?: string },
): SipRequest {
  const { invite, response } = dialog;
  const routes = response.headers.getAll("Record-Route");
  const headers = new SipHeaders().append("Via", from.via).append("Max-Forwards", "70");
  const caller = invite.headers.get("From") ?? "";
  const callee = response.headers.get("To") ?? "";
  headers.append("From", options.callerSide ? caller : callee);
  headers.append("To", options.callerSide ? callee : caller);
  headers.append("Call-ID", invite.headers.get("Call-ID") ?? "");
  headers.append("CSeq", `${options.cseq} ${method}`);
  for (const route of options.callerSide ? [...routes].reverse() : routes) headers.append("Route", route);
  headers.append("Contact", from.contact("x"));
  if (options.body) headers.append("Content-Type", "application/sdp");
  const target = options.callerSide
    ? /<([^>]+)>/.exec(response.headers.get("Contact") ?? "")?.[1]
    : /<([^>]+)>/.exec(invite.headers.get("Contact") ?? "")?.[1];
  return {
    method,
    uri: target ?? "sip:x@invalid",
    version: "SIP/2.0",
    headers,
    body: Buffer.from(options.body ?? ""),
  };
}

/** The re-INVITE (an INVITE with a To tag) of `callId` that reached `phone`. */
export const reInvite = (phone: Phone, callId: string) =>
  phone.waitFor(
    () =>
      phone.requests.find(
        (r) => r.method === "INVITE" && r.headers.get("Call-ID") === callId && tagOf(r.headers.get("To")) !== undefined,
      ),
    5_000,
    "re-INVITE",
  );
