import { readFileSync } from "node:fs";
import { logger } from "../layers/core/logger.js";
import { type ListenerOptions, startListener } from "./server.js";

/**
 * The listener process: SIP on UDP and TCP (SIP_PORT, default 5060; TLS on SIP_TLS_PORT,
 * default 5061, when SIP_TLS_CERT and SIP_TLS_KEY name PEM files), Linkus on LINKUS_PORT
 * (default 8111), GET /health on HEALTH_PORT (default 8080). SIGTERM/SIGINT drain and stop.
 */
export function readListenerConfig(env: NodeJS.ProcessEnv = process.env): ListenerOptions {
  const port = (name: string, fallback: number) => {
    const value = env[name];
    if (value === undefined || value === "") return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number`);
    return n;
  };
  const cert = env.SIP_TLS_CERT;
  const key = env.SIP_TLS_KEY;
  return {
    host: env.LISTEN_HOST ?? "0.0.0.0",
    sipPort: port("SIP_PORT", 5060),
    linkusPort: port("LINKUS_PORT", 8111),
    healthPort: port("HEALTH_PORT", 8080),
    tls:
      cert && key ? { cert: readFileSync(cert), key: readFileSync(key), port: port("SIP_TLS_PORT", 5061) } : undefined,
    advertisedHost: env.SIP_ADVERTISED_HOST || env.PUBLIC_SIP_HOST || undefined,
    drainMs: Number(env.DRAIN_SECONDS ?? 20) * 1000,
    rtpengine: ngAddresses(env.RTPENGINE_NG),
    advertisedLinkusPort: env.PUBLIC_LINKUS_PORT ? port("PUBLIC_LINKUS_PORT", 8111) : undefined,
  };
}

/**
 * `RTPENGINE_NG=host:port[,host:port…]` (each rtpengine's --listen-ng): unset means no media relay.
 * With several, a call goes to the one its Call-ID hashes to (media/media-relay.ts), so every task
 * must list the same addresses in the same order.
 */
export function ngAddresses(value: string | undefined): { host: string; port: number }[] | undefined {
  if (!value?.trim()) return undefined;
  return value.split(",").map((entry) => {
    const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[2]);
    if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error("RTPENGINE_NG must be host:port, or several separated by commas (rtpengine's --listen-ng)");
    }
    return { host: match[1], port };
  });
}

export async function main(): Promise<void> {
  const listener = await startListener(readListenerConfig());
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("Shutting down", { signal });
    listener.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("Shutdown failed", { error: error as Error });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

const entry = process.argv[1] ?? "";
if (entry.endsWith("listener/main.ts") || entry.endsWith("listener.mjs") || entry.endsWith("listener/main.js")) {
  main().catch((error: unknown) => {
    logger.error("Listener failed to start", { error: error as Error });
    process.exit(1);
  });
}
