import type { Server } from "node:http";
import { freePort } from "./global-setup.js";

/**
 * The browser's PBX: the local adapter serving the built web app and the API on one origin,
 * the 8111 listener, and the background worker (imports, notifications) on a short timer,
 * all in this test process against the run's DynamoDB Local and SES emulator.
 */
export interface WebStack {
  baseUrl: string;
  linkusPort: number;
  /** The listener's SIP port (UDP and TCP). */
  sipPort: number;
  platformKey: string;
  stop: () => Promise<void>;
}

/** `rtpengine`: the ng address of a media relay for the listener (see scripts/local/rtpengine.ts). */
export async function startWebStack(options: { rtpengine?: { host: string; port: number } } = {}): Promise<WebStack> {
  const [apiPort, sipPort, linkusPort] = [await freePort(), await freePort(), await freePort()];
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  // Before the handlers are loaded: emailed links and the client config follow this stack.
  process.env.PUBLIC_WEB_URL = baseUrl;
  process.env.PUBLIC_LINKUS_PORT = String(linkusPort);
  const { ensureWebBuild, serveSite } = await import("../../scripts/local/web.js");
  await ensureWebBuild(() => undefined);
  const { createLocalApi, listen } = await import("../../scripts/local/http-adapter.js");
  const { startListener } = await import("../../listener/server.js");
  const { handler: notifier } = await import("../../functions/notifier.js");
  const server: Server = createLocalApi({ site: serveSite });
  await listen(server, apiPort);
  const listener = await startListener({
    host: "127.0.0.1",
    sipPort,
    linkusPort,
    feedPollMs: 200,
    rtpengine: options.rtpengine,
  });
  const timer = setInterval(() => void notifier({ source: "local.schedule" } as never).catch(() => undefined), 500);
  return {
    baseUrl,
    linkusPort,
    sipPort,
    platformKey: process.env.PBX_PLATFORM_KEY as string,
    stop: async () => {
      clearInterval(timer);
      await listener.stop();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
