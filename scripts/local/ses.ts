import type { Server } from "node:http";
import sesEmulator from "aws-ses-v2-local";

// A CommonJS module: Node's ESM loader hands over module.exports, bundlers the default export itself.
const loaded = sesEmulator as unknown as typeof sesEmulator.default | typeof sesEmulator;
const startSesEmulator = typeof loaded === "function" ? loaded : loaded.default;

/** The SES v1/v2 emulator with its mail viewer at `/` and the sent mails as JSON at `/store`. */
export async function startSes(port: number): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const server: Server = await startSesEmulator({ host: "127.0.0.1", port });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    endpoint: `http://127.0.0.1:${boundPort}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
