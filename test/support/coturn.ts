import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Debian's coturn (`turnserver`), when installed. */
export const TURNSERVER = (() => {
  const probe = spawnSync("turnserver", ["--help"], { stdio: "pipe", timeout: 5_000 });
  return `${probe.stdout ?? ""}${probe.stderr ?? ""}`.includes("use-auth-secret") ? "turnserver" : undefined;
})();

export interface LocalTurn {
  /** What TURN_URLS names. */
  url: string;
  /** coturn's static-auth-secret (TURN_SECRET). */
  secret: string;
  /** coturn's log so far (allocations, permissions, relayed sessions). */
  log: () => string;
  stop: () => Promise<void>;
}

/**
 * coturn on loopback with time-limited credentials (`use-auth-secret`), the scheme the login
 * answer mints (layers/core/sip/ice-servers.ts). Relay addresses are loopback too, so the peers'
 * relayed candidates can reach each other only with `--allow-loopback-peers` (tests only).
 */
export async function startCoturn(options: { port: number; relayMin: number; relayMax: number }): Promise<LocalTurn> {
  if (!TURNSERVER) throw new Error("coturn is not installed (Debian package coturn)");
  const dir = mkdtempSync(join(tmpdir(), "pbx-coturn-"));
  const secret = randomBytes(16).toString("hex");
  const child: ChildProcess = spawn(
    TURNSERVER,
    [
      "-n",
      "--listening-ip=127.0.0.1",
      "--relay-ip=127.0.0.1",
      `--listening-port=${options.port}`,
      `--min-port=${options.relayMin}`,
      `--max-port=${options.relayMax}`,
      "--use-auth-secret",
      `--static-auth-secret=${secret}`,
      "--realm=pbx.test",
      "--fingerprint",
      "--allow-loopback-peers",
      "--no-cli",
      "--no-tls",
      "--no-dtls",
      "--no-tcp-relay",
      `--pidfile=${join(dir, "turnserver.pid")}`,
      `--userdb=${join(dir, "turndb")}`,
      "--log-file=stdout",
      "--simple-log",
      "--verbose",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const stop = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null) return done();
      child.once("exit", done);
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
    });
  const deadline = Date.now() + 10_000;
  while (!(await answersStun(options.port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`coturn did not answer STUN on 127.0.0.1:${options.port}: ${log.slice(-2_000)}`);
    }
  }
  return { url: `turn:127.0.0.1:${options.port}?transport=udp`, secret, log: () => log, stop };
}

/** One STUN Binding request (RFC 5389 §6): does a Binding success response come back? */
function answersStun(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(request, 8);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 300);
    socket.on("message", (data) =>
      finish(data.readUInt16BE(0) === 0x0101 && data.subarray(8, 20).equals(request.subarray(8, 20))),
    );
    socket.on("error", () => finish(false));
    socket.send(request, port, "127.0.0.1");
  });
}
