import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RtpEngineClient } from "../../../listener/media/rtpengine.js";
import { type LocalRtpEngine, RTPENGINE, startRtpEngine } from "../../../scripts/local/rtpengine.js";
import { BARESIP, type Baresip, startBaresip } from "../../listener/support/baresip.js";
import { FAKE_MEDIA, launchChromium } from "../../support/browser.js";
import { freePort } from "../../support/global-setup.js";
import { audioPacketsReceived, logInToWebClient } from "../../support/web-client.js";
import { startWebStack, type WebStack } from "../../support/web-stack.js";

/**
 * Issue 15's second Show item: the Web Client (Chromium, fake microphone; ICE + DTLS-SRTP) and
 * a desk-phone user agent (baresip, plain RTP, playing a WAV file) call each other through the
 * listener, which has rtpengine bridge the media. Audio arrives on both sides: the browser's
 * peer connection counts inbound audio packets, baresip reports CALL_RTPESTAB (its first RTP
 * packet received), and rtpengine's own counters show packets from both legs. Hold and resume
 * from the browser are re-INVITEs offered and answered through rtpengine (the browser gets
 * rtpengine's DTLS-SRTP answer, not baresip's plain RTP one), and audio flows again afterwards.
 */
const SLUG = `desk-${Date.now().toString(36)}`;
const ADMIN = { email: `admin@${SLUG}.example.com`, password: "Adm1nPassword!" };
const ADA = { email: `ada@${SLUG}.example.com`, number: "2201", password: "Lovelace2201Pass" };
const DESK = { number: "2202", registrationName: "desk2202", password: "DeskPhone2202pw" };

/** 60 s of a 440 Hz tone (longer than a test call: baresip hangs up when the file ends), 8 kHz 16-bit mono PCM: the "sound file" the desk phone plays. */
function toneWav(path: string): void {
  const rate = 8000;
  const samples = rate * 60;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}

describe.skipIf(!RTPENGINE || !BARESIP)(
  "the Web Client and a desk phone through rtpengine",
  { timeout: 120_000 },
  () => {
    let stack: WebStack;
    let relay: LocalRtpEngine | undefined;
    let browser: Browser;
    let desk: Baresip;
    let page: Page;
    let dir: string;

    async function api(method: string, path: string, body: unknown, token: string) {
      const response = await fetch(`${stack.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    }

    beforeAll(async () => {
      const base = 32_000 + Math.floor(Math.random() * 100) * 100;
      relay = await startRtpEngine({ ngPort: await freePort(), portMin: base, portMax: base + 99 });
      stack = await startWebStack({ rtpengine: relay?.ng });
      const provisioned = await api(
        "POST",
        "/api/v1/platform/tenants",
        { name: "Acme Desk", slug: SLUG, adminEmail: ADMIN.email, adminPassword: ADMIN.password },
        stack.platformKey,
      );
      expect(provisioned.status, JSON.stringify(provisioned.body)).toBe(201);
      const login = await fetch(`${stack.baseUrl}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ server: SLUG, ...ADMIN }),
      });
      const token = ((await login.json()) as { accessToken: string }).accessToken;
      const ada = await api(
        "POST",
        "/api/v1/extensions",
        { firstName: "Ada", number: ADA.number, email: ADA.email, userPassword: ADA.password },
        token,
      );
      expect(ada.status, JSON.stringify(ada.body)).toBe(201);
      const phone = await api(
        "POST",
        "/api/v1/extensions",
        {
          firstName: "Desk",
          number: DESK.number,
          registrationName: DESK.registrationName,
          registrationPassword: DESK.password,
        },
        token,
      );
      expect(phone.status, JSON.stringify(phone.body)).toBe(201);
      dir = mkdtempSync(join(tmpdir(), "desk-audio-"));
      const wav = join(dir, "tone.wav");
      toneWav(wav);
      desk = await startBaresip([], { audioFile: wav });
      const added = await desk.command(
        "uanew",
        `<sip:${DESK.registrationName}@${SLUG}>;auth_user=${DESK.registrationName};auth_pass=${DESK.password};outbound="sip:127.0.0.1:${stack.sipPort}";regint=300;answermode=auto`,
      );
      expect(added.ok, added.data).toBe(true);
      await desk.waitFor("REGISTER_OK");

      browser = await launchChromium(FAKE_MEDIA);
      page = await logInToWebClient(browser, stack.baseUrl, SLUG, ADA);
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await desk?.stop();
      await stack?.stop();
      await relay?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const phone = () => page.getByRole("region", { name: "Phone" });

    /** RTP packets rtpengine has relayed for every call it holds (its own counters, over ng). */
    async function relayedPackets(): Promise<number> {
      const client = new RtpEngineClient(relay?.ng ?? { host: "127.0.0.1", port: 1 });
      try {
        const list = await client.command("list");
        let packets = 0;
        for (const callId of (list.calls as string[] | undefined) ?? []) {
          const reply = await client.command("query", { "call-id": callId });
          packets += Number((reply.totals as { RTP?: { packets?: number } } | undefined)?.RTP?.packets ?? 0);
        }
        return packets;
      } finally {
        client.close();
      }
    }

    it("the browser calls the desk phone: audio packets arrive on both sides", async () => {
      // Act: Ada dials the desk phone, which answers by itself.
      await phone().getByLabel("Number to call").fill(DESK.number);
      await phone().getByRole("button", { name: "Call", exact: true }).click();
      await phone()
        .getByText(/On a call with/)
        .waitFor();
      // Assess
      await desk.waitFor("CALL_RTPESTAB", 15_000);
      await expect.poll(() => audioPacketsReceived(page), { timeout: 15_000 }).toBeGreaterThan(20);
      await phone().getByRole("button", { name: "Hang up" }).click();
      await desk.waitFor("CALL_CLOSED");
    });

    it("the browser holds and resumes: both re-INVITEs go through rtpengine, and audio flows again", async () => {
      // Prepare: a call from the browser, audio flowing.
      const closedBefore = desk.events.filter((e) => e.type === "CALL_CLOSED").length;
      await page.reload(); // the last call's ended notice gives way to the keypad
      await page.getByRole("status").filter({ hasText: "Phone ready" }).waitFor();
      await phone().getByLabel("Number to call").fill(DESK.number);
      await phone().getByRole("button", { name: "Call", exact: true }).click();
      await phone()
        .getByText(/On a call with/)
        .waitFor();
      const established = await audioPacketsReceived(page);
      await expect.poll(() => audioPacketsReceived(page), { timeout: 15_000 }).toBeGreaterThan(established + 20);

      // Act: hold (JsSIP re-INVITE, a=sendonly), then resume (a=sendrecv).
      await phone().getByRole("button", { name: "Hold" }).click();
      await phone()
        .getByText(/\(on hold\)/)
        .waitFor();
      await phone().getByRole("button", { name: "Resume", pressed: true }).click();
      await phone().getByRole("button", { name: "Hold", pressed: false }).waitFor();

      // Assess: JsSIP accepted both answers (a plain RTP answer would have failed the call), the
      // call is still up on both sides, and audio reaches the browser through rtpengine again.
      await phone()
        .getByText(/On a call with/)
        .waitFor();
      expect(
        await phone()
          .getByText(/\(on hold\)/)
          .count(),
      ).toBe(0);
      const resumedAt = await audioPacketsReceived(page);
      const relayedAt = await relayedPackets();
      await expect.poll(() => audioPacketsReceived(page), { timeout: 15_000 }).toBeGreaterThan(resumedAt + 50);
      expect(await relayedPackets()).toBeGreaterThan(relayedAt + 50);
      expect(desk.events.filter((e) => e.type === "CALL_CLOSED").length).toBe(closedBefore);
      await phone().getByRole("button", { name: "Hang up" }).click();
      await desk.waitFor("CALL_CLOSED");
    });

    it("the desk phone calls the browser: audio packets arrive on both sides", async () => {
      // Act
      const before = desk.events.filter((e) => e.type === "CALL_RTPESTAB").length;
      // A reloaded page registers again (replacing its binding), whatever the last call left.
      await page.reload();
      await page.getByRole("status").filter({ hasText: "Phone ready" }).waitFor();
      const dialed = await desk.command("dial", `sip:${ADA.number}@${SLUG}`);
      expect(dialed.ok, dialed.data).toBe(true);
      const ringing = page.getByRole("alertdialog", { name: /Incoming call from/ });
      await ringing.waitFor();
      await ringing.getByRole("button", { name: "Answer" }).click();
      // Assess
      await expect.poll(() => audioPacketsReceived(page), { timeout: 15_000 }).toBeGreaterThan(20);
      await expect
        .poll(() => desk.events.filter((e) => e.type === "CALL_RTPESTAB").length, { timeout: 15_000 })
        .toBeGreaterThan(before);
      await phone().getByRole("button", { name: "Hang up" }).click();
    });
  },
);
