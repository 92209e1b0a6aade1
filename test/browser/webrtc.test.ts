import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_MEDIA, launchChromium, screenshot } from "../support/browser.js";
import { audioPacketsReceived, logInToWebClient, phoneOf } from "../support/web-client.js";
import { startWebStack, type WebStack } from "../support/web-stack.js";

/**
 * Issue 15's first Show item in a real Chromium: two extensions logged in to the Web Client in
 * two browser contexts (fake microphones), one calls the other from the keypad, the callee
 * answers from the ringing notice, both peer connections receive audio packets, the caller
 * hangs up, and both Call Logs list the call with its duration. Signalling is SIP over
 * WebSocket through the listener; the media is browser to browser (DTLS-SRTP, ICE host
 * candidates on this machine's interface).
 */

const SLUG = `rtc-${Date.now().toString(36)}`;
const ADMIN = { email: `admin@${SLUG}.example.com`, password: "Adm1nPassword!" };
const ADA = { email: `ada@${SLUG}.example.com`, number: "2101", password: "Lovelace2101Pass" };
const GRACE = { email: `grace@${SLUG}.example.com`, number: "2102", password: "Hopper2102Passw" };

let stack: WebStack;
let browser: Browser;
let adminToken: string;
let adaId: string;

async function api(method: string, path: string, body: unknown, token: string) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const logIn = (user: { email: string; password: string }) => logInToWebClient(browser, stack.baseUrl, SLUG, user);

describe("calls between two Web Clients", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    stack = await startWebStack();
    const provisioned = await api(
      "POST",
      "/api/v1/platform/tenants",
      { name: "Acme RTC", slug: SLUG, adminEmail: ADMIN.email, adminPassword: ADMIN.password },
      stack.platformKey,
    );
    expect(provisioned.status, JSON.stringify(provisioned.body)).toBe(201);
    const login = await fetch(`${stack.baseUrl}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ server: SLUG, ...ADMIN }),
    });
    const token = ((await login.json()) as { accessToken: string }).accessToken;
    adminToken = token;
    for (const [user, firstName] of [
      [ADA, "Ada"],
      [GRACE, "Grace"],
    ] as const) {
      const created = await api(
        "POST",
        "/api/v1/extensions",
        { firstName, number: user.number, email: user.email, userPassword: user.password },
        token,
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      if (user === ADA) adaId = (created.body as { id: string }).id;
    }
    browser = await launchChromium(FAKE_MEDIA);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("one calls the other, the callee answers, audio flows both ways, and both Call Logs show the call", async () => {
    // Prepare
    const ada = await logIn(ADA);
    const grace = await logIn(GRACE);

    // Act: Ada dials Grace's extension from the keypad.
    for (const digit of GRACE.number) await ada.getByRole("button", { name: `Key ${digit}` }).click();
    expect(await ada.getByLabel("Number to call").inputValue()).toBe(GRACE.number);
    await ada.getByRole("button", { name: "Call", exact: true }).click();
    const ringing = grace.getByRole("alertdialog", { name: new RegExp(`Incoming call from .*${ADA.number}`) });
    await ringing.waitFor();
    await screenshot(grace, "web-client-incoming-call");
    await ringing.getByRole("button", { name: "Answer" }).click();

    // Assess: both are on the call and both peer connections receive audio.
    await phoneOf(ada)
      .getByText(new RegExp(`On a call with .*${GRACE.number}`))
      .waitFor();
    await phoneOf(grace)
      .getByText(new RegExp(`On a call with .*${ADA.number}`))
      .waitFor();
    await expect.poll(() => audioPacketsReceived(ada), { timeout: 15_000 }).toBeGreaterThan(20);
    await expect.poll(() => audioPacketsReceived(grace), { timeout: 15_000 }).toBeGreaterThan(20);
    await screenshot(ada, "web-client-on-a-call");
    // Mute and hold change the call's state on the caller's side.
    await ada.getByRole("button", { name: "Mute" }).click();
    await ada.getByRole("button", { name: "Unmute", pressed: true }).waitFor();
    await ada.getByRole("button", { name: "Unmute" }).click();
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Act: Ada hangs up.
    await ada.getByRole("button", { name: "Hang up" }).click();
    await phoneOf(ada)
      .getByText(/ended: You hung up/)
      .waitFor();
    await phoneOf(grace)
      .getByText(/ended: The other side hung up/)
      .waitFor();

    // Assess: each Call Logs page lists the call with a duration of at least 2 s.
    for (const [page, peer] of [
      [ada, GRACE.number],
      [grace, ADA.number],
    ] as const) {
      await page.getByRole("link", { name: "Call Logs" }).click();
      await page.getByRole("heading", { name: "Call Logs" }).waitFor();
      const row = page.getByRole("row").filter({ hasText: peer });
      await row.first().waitFor();
      const text = (await row.first().textContent()) ?? "";
      const seconds = /(\d+):(\d\d)/.exec(text);
      expect(seconds, text).not.toBeNull();
      expect(Number(seconds?.[1]) * 60 + Number(seconds?.[2]), text).toBeGreaterThanOrEqual(2);
    }
  });

  it("a reloaded page registers as the same tab, replacing its binding; closing the page removes it", async () => {
    // Prepare: Ada's Web Client is registered (one browser binding, over WebSocket).
    const webBindings = async () => {
      const answer = await fetch(`${stack.baseUrl}/api/v1/extensions/${adaId}/registrations`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(answer.status).toBe(200);
      const { devices } = (await answer.json()) as {
        devices: { bindingId: string; kind: string; transport: string; sourceAddress: string }[];
      };
      return devices.filter((device) => device.transport === "ws");
    };
    // The call test's pages are still open (each tab is a binding of its own): close them first.
    for (const context of browser.contexts()) await context.close();
    await expect.poll(async () => (await webBindings()).length, { timeout: 10_000 }).toBe(0);
    const page = await logIn(ADA);
    await expect.poll(async () => (await webBindings()).length, { timeout: 10_000 }).toBe(1);
    const [before] = await webBindings();

    // Act: reload the page (a new WebSocket, the same tab).
    await page.reload();
    await page.getByRole("status").filter({ hasText: "Phone ready" }).waitFor();

    // Assess: still one binding, the same tab's, now on the new socket.
    await expect
      .poll(async () => (await webBindings()).map((b) => b.sourceAddress), { timeout: 10_000 })
      .not.toEqual([before?.sourceAddress]);
    const after = await webBindings();
    expect(after).toHaveLength(1);
    expect(after[0]?.bindingId).toBe(before?.bindingId);
    expect(after[0]?.kind).toBe("linkus");

    // Act: close the page.
    await page.context().close();

    // Assess: the socket's close removed the binding (no unregister from the page).
    await expect.poll(async () => (await webBindings()).length, { timeout: 10_000 }).toBe(0);
  });
});
