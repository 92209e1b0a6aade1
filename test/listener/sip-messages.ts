// SIP messages shared by the parser, stream and fuzz tests. The torture cases follow the
// messages of RFC 4475 (SIP Torture Test Messages), rewritten here by hand; Content-Length is
// computed from the body so the cases stay exact however this file is edited.

const SDP = [
  "v=0",
  "o=mhandley 29739 7272939 IN IP4 192.0.2.3",
  "s=-",
  "c=IN IP4 192.0.2.4",
  "t=0 0",
  "m=audio 49217 RTP/AVP 0 12",
  "m=video 3227 RTP/AVP 31",
  "a=rtpmap:31 LPC",
  "",
].join("\r\n");

/**
 * Joins header lines with CRLF, adds the empty line and the body. `{CL}` in a line is replaced
 * by the body's octet count.
 */
export function sipMessage(lines: string[], body = "", eol = "\r\n"): Buffer {
  const length = String(Buffer.byteLength(body, "utf8"));
  const head = lines.map((line) => line.replace("{CL}", length)).join(eol);
  return Buffer.from(`${head}${eol}${eol}${body}`, "utf8");
}

/** RFC 4475 §3.1.1.1 "wsinv": a short tortuous INVITE (folding, odd whitespace, compact forms). */
export const WSINV = sipMessage(
  [
    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0",
    "TO :",
    " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
    'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
    "  ;",
    "  tag = 98asjd8",
    "MaX-fOrWaRdS: 0068",
    "Call-ID: wsinv.ndaksdj@192.0.2.1",
    "Content-Length   : {CL}",
    "cseq: 0009",
    "  INVITE",
    "Via  : SIP  /   2.0",
    " /UDP",
    "    192.0.2.2;branch=390skdjuw",
    "s :",
    "NewFangledHeader:   newfangled value",
    " continued newfangled value",
    "UnknownHeaderWithUnusualValue: ;;,,;;,;",
    "Content-Type: application/sdp",
    "Route:",
    " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>",
    "v:  SIP  / 2.0  / TCP     spindle.example.com   ;",
    "  branch  =   z9hG4bK9ikj8  ,",
    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=",
    " z9hG4bK30239",
    'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =',
    "      newvalue ;",
    "  secondparam ; q = 0.33",
  ],
  SDP,
);

/** RFC 4475 §3.1.1.2 "intmeth": the full range of token and word characters. */
export const INTMETH = sipMessage([
  "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0",
  "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~",
  'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*@example.com>',
  "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439\";tag=_token~1'+`*%!-.",
  "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
  "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~",
  "Max-Forwards: 255",
  "extensionHeader-!.%*+_`'~: \uFEFF\u5927\u505C\u96FB",
  "Content-Length: {CL}",
]);

/** RFC 4475 §3.1.1.3 "esc01": valid %-escaping in URIs. */
export const ESC01 = sipMessage(
  [
    "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0",
    "To: sip:%75se%72@example.com",
    "From: <sip:I%20have%20spaces@example.net>;tag=938",
    "Max-Forwards: 87",
    "i: esc01.239409asdfakjkn23onasd0-3234",
    "CSeq: 234234 INVITE",
    "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw",
    "C: application/sdp",
    "Contact:",
    "  <sip:cal%6Cer@host5.example.net;%6C%72=%6C%72;n%61me=v%61lue%25%34%31>",
    "Content-Length: {CL}",
  ],
  SDP,
);

/** RFC 4475 §3.1.1.4 "escnull": escaped NULs in URIs; an upper-case compact `L`. */
export const ESCNULL = sipMessage([
  "REGISTER sip:example.com SIP/2.0",
  "To: sip:null-%00-null@example.com",
  "From: sip:null-%00-null@example.com;tag=839923423",
  "Max-Forwards: 70",
  "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd",
  "CSeq: 14398234 REGISTER",
  "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw",
  "Contact: <sip:%00@host5.example.com>",
  "Contact: <sip:%00%00@host5.example.com>",
  "L:{CL}",
]);

/** RFC 4475 §3.1.1.5 "esc02": `%` where it is not an escape (method, display name, header name). */
export const ESC02 = sipMessage([
  "RE%47IST%45R sip:registrar.example.com SIP/2.0",
  'To: "%Z%45" <sip:resource@example.com>',
  'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23',
  "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf",
  "Via: SIP/2.0/TCP host.example.com;rport;branch=z9hG4bK209asdjf",
  "CSeq: 29344 RE%47IST%45R",
  "Max-Forwards: 70",
  "Contact: <sip:alias1@host1.example.com>",
  "c%6Fntact: <sip:alias2@host2.example.com>",
  "Contact: <sip:alias3@host3.example.com>",
  "l: {CL}",
]);

/** RFC 4475 §3.1.1.6 "lwsdisp": no LWS between display name and `<`. */
export const LWSDISP = sipMessage([
  "OPTIONS sip:user@example.com SIP/2.0",
  "To: sip:user@example.com",
  "From: caller<sip:caller@example.com>;tag=323",
  "Max-Forwards: 70",
  "Call-ID: lwsdisp.1234abcd@funky.example.com",
  "CSeq: 60 OPTIONS",
  "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw",
  "l: {CL}",
]);

/** RFC 4475 §3.1.1.8 "dblreq": a REGISTER followed by extra octets in the same datagram. */
export const DBLREQ = Buffer.concat([
  sipMessage([
    "REGISTER sip:example.com SIP/2.0",
    "To: sip:j.user@example.com",
    "From: sip:j.user@example.com;tag=43251j3j324",
    "Max-Forwards: 8",
    "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412",
    "Contact: sip:j.user@host.example.com",
    "CSeq: 8 REGISTER",
    "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492",
    "Content-Length: 0",
  ]),
  sipMessage([
    "INVITE sip:joe@example.com SIP/2.0",
    "t: sip:joe@example.com",
    "From: sip:caller@example.net;tag=141334",
    "Max-Forwards: 8",
    "Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15",
    "CSeq: 8 INVITE",
    "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234",
    "Content-Type: application/sdp",
    "Content-Length: 0",
  ]),
]);

/** RFC 4475 §3.1.1.9 "semiuri": `;` in the user part of the Request-URI; a folded Accept list. */
export const SEMIURI = sipMessage([
  "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0",
  "To: sip:j_user@example.com",
  "From: sip:caller@example.org;tag=33242",
  "Max-Forwards: 3",
  "Call-ID: semiuri.0ha0isndaksdj",
  "CSeq: 8 OPTIONS",
  "Accept: application/sdp, application/pkcs7-mime,",
  "        multipart/mixed, multipart/signed,",
  "        message/sip, message/sipfrag",
  "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw",
  "l: {CL}",
]);

/** RFC 4475 §3.1.1.10 "transports": varied and unknown transports. */
export const TRANSPORTS = sipMessage([
  "OPTIONS sip:user@example.com SIP/2.0",
  "To: sip:user@example.com",
  "From: <sip:caller@example.com>;tag=323",
  "Max-Forwards: 70",
  "Call-ID:  transports.kijh4akdnaqjkwendsasfdj",
  "Accept: application/sdp",
  "CSeq: 60 OPTIONS",
  "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw",
  "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf",
  "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj",
  "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en",
  "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee",
  "l: {CL}",
]);

/** RFC 4475 §3.1.1.12 "unreason": a UTF-8 reason phrase. */
export const UNREASON = sipMessage(
  [
    "SIP/2.0 200 = 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435",
    "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923",
    "Call-ID: unreason.1234ksdfak3j2erwedfsASdf",
    "CSeq: 35 INVITE",
    "From: sip:user@example.com;tag=11141343",
    "To: sip:user@example.edu;tag=2229",
    "Content-Length: {CL}",
    "Content-Type: application/sdp",
    "Contact: <sip:user@host198.example.com>",
  ],
  SDP,
);

/** RFC 4475 §3.1.1.13 "noreason": an empty reason phrase. */
export const NOREASON = sipMessage([
  "SIP/2.0 100 ",
  "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
  "Call-ID: noreason.asndj203insdf99223ndf",
  "CSeq: 35 INVITE",
  "From: <sip:user@example.com>;tag=39ansfi3",
  "To: <sip:user@example.edu>;tag=902jndnke3",
  "Content-Length: {CL}",
  "Contact: <sip:user@host105.example.com>",
]);

/** A REGISTER as a desk phone sends it, with digest credentials (RFC 8760 SHA-256). */
export const REGISTER = sipMessage([
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
  "Content-Length: {CL}",
]);

/** An INVITE with a body, over TCP. */
export const INVITE_TCP = sipMessage(
  [
    "INVITE sip:1002@pbx.example.com SIP/2.0",
    "Via: SIP/2.0/TCP 192.0.2.20:50123;branch=z9hG4bK776asdhds;alias",
    "Max-Forwards: 70",
    'To: "Bob" <sip:1002@pbx.example.com>',
    'From: "Alice" <sip:1001@pbx.example.com>;tag=1928301774',
    "Call-ID: a84b4c76e66710@pc33.example.com",
    "CSeq: 314159 INVITE",
    "Contact: <sip:1001@192.0.2.20:50123;transport=tcp>",
    "Content-Type: application/sdp",
    "Content-Length: {CL}",
  ],
  SDP,
);

/** Every valid message above, for round-trip and fuzz seeds. */
export const VALID_MESSAGES: Record<string, Buffer> = {
  WSINV,
  INTMETH,
  ESC01,
  ESCNULL,
  ESC02,
  LWSDISP,
  SEMIURI,
  TRANSPORTS,
  UNREASON,
  NOREASON,
  REGISTER,
  INVITE_TCP,
};
