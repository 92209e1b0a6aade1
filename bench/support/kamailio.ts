import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Kamailio (Debian package `kamailio`) as an authenticating registrar for comparison: UDP on
 * 127.0.0.1, digest (MD5, qop=auth) against plaintext passwords in an `htable` filled at
 * start-up, registrations in usrloc memory (`db_mode` 0). Runs in the foreground (-DD -E).
 */
export const KAMAILIO = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v kamailio"], { stdio: "pipe" }).toString().trim() || undefined;
  } catch {
    return undefined;
  }
})();

export interface KamailioUser {
  username: string;
  password: string;
}

export interface RunningKamailio {
  port: number;
  pid: number | undefined;
  process: ChildProcess;
  stop: () => Promise<void>;
}

const MODULES = ["/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules"];

/** A cfg string literal: the generated users never need escaping, but refuse anything odd. */
function literal(value: string): string {
  if (!/^[A-Za-z0-9_.*-]+$/.test(value)) throw new Error(`Unexpected character in ${value}`);
  return `"${value}"`;
}

export function kamailioConfig(port: number, users: KamailioUser[], children: number): string {
  const modulePath = MODULES.find((dir) => {
    try {
      execFileSync("test", ["-f", `${dir}/registrar.so`]);
      return true;
    } catch {
      return false;
    }
  });
  if (!modulePath) throw new Error("Kamailio modules not found (apt-get install kamailio)");
  return `#!KAMAILIO
debug=1
log_stderror=yes
children=${children}
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:${port}
mpath="${modulePath}/"

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "htable.so"

modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "min_expires", 60)
modparam("auth", "secret", "${randomBytes(16).toString("hex")}")
modparam("htable", "htable", "users=>size=16;autoexpire=0;")

request_route {
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  if (!is_method("REGISTER")) {
    sl_send_reply("405", "Method Not Allowed");
    exit;
  }
  # Plaintext password from the htable (flags 0); check 1: To user = authentication user.
  if (!pv_auth_check("$td", "$sht(users=>$au)", "0", "1")) {
    auth_challenge("$td", "1");
    exit;
  }
  consume_credentials();
  if (!save("location")) sl_reply_error();
  exit;
}

event_route[htable:mod-init] {
${users.map((u) => `  $sht(users=>${u.username}) = ${literal(u.password)};`).join("\n")}
}
`;
}

export async function startKamailio(options: {
  port: number;
  users: KamailioUser[];
  children?: number;
}): Promise<RunningKamailio> {
  if (!KAMAILIO) throw new Error("kamailio is not installed (apt-get install -y kamailio)");
  for (const user of options.users) literal(user.username);
  const dir = mkdtempSync(join(tmpdir(), "bench-kamailio-"));
  const cfg = join(dir, "kamailio.cfg");
  writeFileSync(cfg, kamailioConfig(options.port, options.users, options.children ?? 2));
  const child = spawn(KAMAILIO, ["-DD", "-E", "-f", cfg, "-m", "512", "-M", "16", "-w", dir, "-P", join(dir, "pid")], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await answersOptions(options.port))) {
    if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode}):\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`kamailio did not answer within 15 s:\n${output.slice(-3000)}`);
    }
  }
  return {
    port: options.port,
    pid: child.pid,
    process: child,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends an OPTIONS and waits up to 300 ms for any answer (our script says 405). */
function answersOptions(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 300);
    socket.on("message", () => done(true));
    socket.on("error", () => done(false));
    socket.bind(0, "127.0.0.1", () => {
      const branch = `z9hG4bK-${randomBytes(6).toString("hex")}`;
      const { port: local } = socket.address();
      const message = [
        `OPTIONS sip:probe@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport`,
        "Max-Forwards: 70",
        `From: <sip:probe@127.0.0.1>;tag=${branch}`,
        `To: <sip:probe@127.0.0.1:${port}>`,
        `Call-ID: ${branch}@127.0.0.1`,
        "CSeq: 1 OPTIONS",
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n");
      socket.send(message, port, "127.0.0.1");
    });
  });
}
