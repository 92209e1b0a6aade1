import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** sipp (Debian package `sip-tester`) as a real SIP peer. */
export const SIPP = (() => {
  try {
    execFileSync("sipp", ["-v"], { stdio: "pipe" });
    return "sipp";
  } catch (error) {
    // `sipp -v` exits non-zero on some builds while printing its version.
    const out = String((error as { stdout?: Buffer }).stdout ?? "");
    return out.includes("SIPp") ? "sipp" : undefined;
  }
})();

export interface SippRun {
  scenario: string;
  /** Injection file rows; `[authentication ...]` keywords go in a field (sipp 3.6 mangles nested keywords). */
  rows: string[][];
  remotePort: number;
  localPort: number;
  transport?: "u1" | "t1";
  timeoutSeconds?: number;
}

export interface SippResult {
  code: number | null;
  output: string;
}

function files(run: SippRun) {
  const dir = mkdtempSync(join(tmpdir(), "sipp-"));
  const scenario = join(dir, "scenario.xml");
  const inf = join(dir, "fields.csv");
  writeFileSync(scenario, run.scenario);
  writeFileSync(inf, `SEQUENTIAL\n${run.rows.map((row) => row.join(";")).join("\n")}\n`);
  return { dir, scenario, inf };
}

export function startSipp(run: SippRun): { process: ChildProcess; done: Promise<SippResult> } {
  const { dir, scenario, inf } = files(run);
  const args = [
    `127.0.0.1:${run.remotePort}`,
    "-sf",
    scenario,
    "-inf",
    inf,
    "-m",
    String(run.rows.length),
    "-l",
    "1",
    "-i",
    "127.0.0.1",
    "-p",
    String(run.localPort),
    "-t",
    run.transport ?? "u1",
    "-nostdin",
    "-default_behaviors",
    "all,-bye",
    "-timeout",
    `${run.timeoutSeconds ?? 15}s`,
    "-timeout_error",
    "-trace_err",
    "-error_file",
    join(dir, "errors.log"),
    "-trace_msg",
    "-message_file",
    join(dir, "messages.log"),
  ];
  const child = spawn(SIPP ?? "sipp", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  const done = new Promise<SippResult>((resolve) => {
    child.on("exit", (code) => {
      let log = "";
      try {
        log = execFileSync("sh", [
          "-c",
          `tail -c 4000 ${join(dir, "messages.log")} 2>/dev/null; cat ${join(dir, "errors.log")} 2>/dev/null`,
        ]).toString();
      } catch {}
      resolve({ code, output: `${output.slice(-3000)}\n${log}` });
    });
  });
  return { process: child, done };
}

export function runSipp(run: SippRun): Promise<SippResult> {
  return startSipp(run).done;
}

const header = `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">`;

/**
 * REGISTER, 401, REGISTER with credentials, then the expected final status.
 * Fields: 0 user, 1 domain, 2 `[authentication ...]`, 3 expires, 4 contact ("*" or a URI user).
 */
export function registerScenario(expect: number, options: { wildcard?: boolean } = {}): string {
  const contact = options.wildcard ? "Contact: *" : "Contact: <sip:[field0]@[local_ip]:[local_port]>";
  const request = (cseq: number, auth: string) => `
      REGISTER sip:[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[field1]>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      ${contact}${auth}
      Max-Forwards: 70
      Expires: [field3]
      User-Agent: sipp
      Content-Length: 0
`;
  return `${header}
<scenario name="register">
  <send retrans="500"><![CDATA[
${request(1, "")}
  ]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
${request(2, "\n      [field2]")}
  ]]></send>
  <recv response="${expect}"/>
</scenario>
`;
}

const sdp = `v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000`;

function invite(cseq: number, auth: string): string {
  return `
      INVITE sip:[field3]@[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field3]@[field1]>
      Call-ID: [call_id]
      CSeq: ${cseq} INVITE
      Contact: <sip:[field0]@[local_ip]:[local_port]>${auth}
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp}
`;
}

/** The 407 round: INVITE (0), 100? (1), 407 (2), ACK (3), INVITE with credentials (4). */
const authenticatedInvite = `
  <send retrans="500"><![CDATA[
${invite(1, "")}
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
  <send><![CDATA[

      ACK sip:[field3]@[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field3]@[field1]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <send retrans="500"><![CDATA[
${invite(2, "\n      [field2]")}
  ]]></send>`;

/** Caller: fields 0 user, 1 domain, 2 `[authentication ...]`, 3 callee number. Talks, then hangs up. */
export function callScenario(): string {
  return `${header}
<scenario name="call">${authenticatedInvite}
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field3]@[field1]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <pause milliseconds="1200"/>
  <send retrans="500"><![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field3]@[field1]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
`;
}

/** Caller that gives up while it rings: CANCEL, 200, 487, ACK. */
export function cancelScenario(): string {
  return `${header}
<scenario name="cancel">${authenticatedInvite}
  <recv response="100" optional="true"/>
  <recv response="180"/>
  <send><![CDATA[

      CANCEL sip:[field3]@[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field3]@[field1]>
      Call-ID: [call_id]
      CSeq: 2 CANCEL
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
  <recv response="487"/>
  <send><![CDATA[

      ACK sip:[field3]@[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-7]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field3]@[field1]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
</scenario>
`;
}

const provisional = `
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
`;

/** A 200 with no body for an in-dialog request (BYE, CANCEL), echoing the request's headers. */
const okWithoutBody = `<send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>`;

/** Callee that rings, answers, and waits for the caller's BYE. */
export function answerScenario(): string {
  return `${header}
<scenario name="answer">
  <recv request="INVITE"/>
  <send><![CDATA[
${provisional}
  ]]></send>
  <send retrans="500"><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp}
  ]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  ${okWithoutBody}
</scenario>
`;
}

/** Callee that rings until cancelled: 200 to the CANCEL, 487 to the INVITE (CSeq 2), ACK. */
export function ringScenario(): string {
  return `${header}
<scenario name="ring">
  <recv request="INVITE"/>
  <send><![CDATA[
${provisional}
  ]]></send>
  <recv request="CANCEL"/>
  ${okWithoutBody}
  <send><![CDATA[

      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: 2 INVITE
      Content-Length: 0

  ]]></send>
  <recv request="ACK"/>
</scenario>
`;
}
