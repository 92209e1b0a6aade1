import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { RtpEngineClient } from "../../listener/media/rtpengine.js";

/**
 * rtpengine (Debian `rtpengine-daemon`) as the local media relay: userspace forwarding only
 * (`--table=-1`, no kernel module), the ng protocol on loopback UDP, media on one address of
 * this machine that browsers and phones on it can all reach. Undefined when it is not installed.
 */
export const RTPENGINE = (() => {
  const probe = spawnSync("rtpengine", ["--version"], { stdio: "pipe", timeout: 5_000 });
  return `${probe.stdout ?? ""}${probe.stderr ?? ""}`.includes("Version") ? "rtpengine" : undefined;
})();

export interface LocalRtpEngine {
  ng: { host: string; port: number };
  /** The address media is relayed on (written into the SDP it hands out). */
  mediaAddress: string;
  stop: () => Promise<void>;
}

/**
 * The first non-internal IPv4 address: Chromium gathers no loopback ICE candidates, so a relay
 * on 127.0.0.1 would be unreachable for browsers; phones on loopback reach this one too.
 */
export function mediaAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === "IPv4" && !address.internal) return address.address;
  }
  return "127.0.0.1";
}

export async function startRtpEngine(options: {
  ngPort: number;
  portMin: number;
  portMax: number;
  address?: string;
}): Promise<LocalRtpEngine | undefined> {
  if (!RTPENGINE) return undefined;
  const address = options.address ?? mediaAddress();
  const child: ChildProcess = spawn(
    RTPENGINE,
    [
      "--foreground",
      "--log-stderr",
      `--log-level=${process.env.RTPENGINE_LOG_LEVEL ?? 4}`,
      "--table=-1",
      `--interface=${address}`,
      `--listen-ng=127.0.0.1:${options.ngPort}`,
      `--port-min=${options.portMin}`,
      `--port-max=${options.portMax}`,
      "--timeout=60",
      "--delete-delay=0",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4_000);
    if (process.env.RTPENGINE_LOG_FILE) appendFileSync(process.env.RTPENGINE_LOG_FILE, chunk);
  });
  const ng = { host: "127.0.0.1", port: options.ngPort };
  // Up once it answers an ng ping.
  const client = new RtpEngineClient({ ...ng, retryMs: 200, attempts: 1 });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`rtpengine exited (${child.exitCode}): ${log}`);
    try {
      await client.command("ping");
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`rtpengine did not answer ng pings: ${log}`);
      }
    }
  }
  client.close();
  return {
    ng,
    mediaAddress: address,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
      }),
  };
}
