import type { Browser, Page } from "playwright-core";

/**
 * The Web Client as the call tests drive it: a logged-in page whose peer connections the test
 * can read, and the softphone's region.
 */

/** Every RTCPeerConnection the page creates, so the test can read its stats. */
export const CAPTURE_PEER_CONNECTIONS = `
  window.__peerConnections = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__peerConnections.push(this); }
  };
`;

/** Audio packets the page's latest peer connection has received (inbound-rtp, kind audio). */
export function audioPacketsReceived(page: Page): Promise<number> {
  return page.evaluate(`(async () => {
    const pc = window.__peerConnections.at(-1);
    if (!pc) return 0;
    let packets = 0;
    (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "audio") packets += s.packetsReceived; });
    return packets;
  })()`) as Promise<number>;
}

export const phoneOf = (page: Page) => page.getByRole("region", { name: "Phone" });

/** A fresh context (microphone allowed, peer connections captured) logged in until the phone is ready. */
export async function logInToWebClient(
  browser: Browser,
  baseUrl: string,
  server: string,
  user: { email: string; password: string },
): Promise<Page> {
  const context = await browser.newContext({ permissions: ["microphone"], viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(10_000);
  await context.addInitScript(CAPTURE_PEER_CONNECTIONS);
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Server").fill(server);
  await page.getByLabel("Email or extension number").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("status").filter({ hasText: "Phone ready" }).waitFor();
  return page;
}
