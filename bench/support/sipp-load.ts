import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./env.js";
import { cpuMeter } from "./proc.js";

/**
 * sipp as a closed-loop load generator: at most `concurrency` scenarios in flight, a new one
 * started as soon as one ends (the rate cap is far above what either server reaches), for
 * `seconds`. A server that answers within sipp's 500 ms timer sees no retransmissions.
 */
export interface LoadRun {
  label: string;
  remotePort: number;
  scenario: string;
  /** Injection file rows (SEQUENTIAL: sipp cycles through them). */
  rows: string[][];
  concurrency: number;
  seconds: number;
  /**
   * sipp's UDP port, part of the Contact it registers. Keep it across runs against one server:
   * a new port is a new contact, which the listener refuses beyond the extension's limit (403).
   */
  localPort?: number;
  /** Stop after this many scenarios (default: run until `seconds`). */
  calls?: number;
  /** Other processes whose CPU use is reported (sipp's own is added). */
  pids?: Record<string, number | undefined>;
}

export interface LoadResult {
  label: string;
  concurrency: number;
  seconds: number;
  successful: number;
  failed: number;
  retransmissions: number;
  /** Successful scenarios per second. */
  rate: number;
  cores: Record<string, number>;
  /** The end of sipp's error log (unexpected messages, timeouts), empty when there were none. */
  errors: string;
}

export async function runLoad(run: LoadRun): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-sipp-"));
  const scenario = join(dir, "scenario.xml");
  const inf = join(dir, "users.csv");
  const stats = join(dir, "stats.csv");
  writeFileSync(scenario, run.scenario);
  writeFileSync(inf, `SEQUENTIAL\n${run.rows.map((row) => row.join(";")).join("\n")}\n`);
  const args = [
    `127.0.0.1:${run.remotePort}`,
    ...["-sf", scenario, "-inf", inf],
    ...["-i", "127.0.0.1", "-p", String(run.localPort ?? (await freePort())), "-t", "u1"],
    ...["-r", "100000", "-rp", "1000", "-l", String(run.concurrency)],
    ...(run.calls === undefined ? [] : ["-m", String(run.calls)]),
    ...["-timeout", `${run.seconds}s`, "-nostdin", "-default_behaviors", "all,-bye"],
    ...["-trace_stat", "-stf", stats, "-fd", "1"],
    ...["-trace_err", "-error_file", join(dir, "errors.log")],
  ];
  const child = spawn("sipp", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  // sipp's CPU can only be read while it runs: sample until it exits and keep the last reading.
  const meter = cpuMeter({ sipp: child.pid, ...(run.pids ?? {}) });
  let cores = meter();
  const sampler = setInterval(() => {
    cores = meter();
  }, 250);
  // Bounded: sipp stops itself at -timeout; this is the backstop.
  const killer = setTimeout(() => child.kill("SIGKILL"), (run.seconds + 20) * 1000);
  await new Promise<void>((resolve) => child.on("exit", () => resolve()));
  clearInterval(sampler);
  clearTimeout(killer);

  let csv: string;
  try {
    csv = readFileSync(stats, "utf8");
  } catch {
    throw new Error(`sipp wrote no statistics (${run.label}):\n${output.slice(-3000)}`);
  }
  const lines = csv.trim().split("\n");
  const header = (lines[0] ?? "").split(";");
  const last = (lines.at(-1) ?? "").split(";");
  const field = (name: string) => last[header.indexOf(name)] ?? "";
  const epoch = (value: string) => Number(value.split("\t").at(-1));
  const seconds = epoch(field("CurrentTime")) - epoch(field("StartTime"));
  const successful = Number(field("SuccessfulCall(C)"));
  const errors = tail(join(dir, "errors.log"));
  rmSync(dir, { recursive: true, force: true });
  return {
    label: run.label,
    concurrency: run.concurrency,
    seconds,
    successful,
    failed: Number(field("FailedCall(C)")),
    retransmissions: Number(field("Retransmissions(C)")),
    rate: successful / seconds,
    cores,
    errors,
  };
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-3000);
  } catch {
    return "";
  }
}

const HEADER = `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">`;

/** REGISTER → 401 only: the challenge path (parsing, tenant lookup, nonce), nothing stored. */
export function challengeScenario(): string {
  return `${HEADER}
<scenario name="challenge">
  <send retrans="500"><![CDATA[

      REGISTER sip:[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[field1]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Expires: [field3]
      User-Agent: sipp
      Content-Length: 0

  ]]></send>
  <recv response="401"/>
</scenario>
`;
}
