import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_MEDIA, launchChromium } from "../../support/browser.js";
import { type LocalTurn, startCoturn, TURNSERVER } from "../../support/coturn.js";
import { freePort } from "../../support/global-setup.js";
import { logInToWebClient, phoneOf } from "../../support/web-client.js";
import { startWebStack, type WebStack } from "../../support/web-stack.js";

if (!TURNSERVER) console.warn("coturn is not installed (Debian package coturn): the TURN test is skipped");

/**
 * Issue 15's TURN item: coturn (Debian) on loopback with `use-auth-secret`, the deployment
 * configured with TURN_URLS, TURN_SECRET and ICE_TRANSPORT_POLICY=relay. Two Web Clients log in
 * (the login answer mints each a time-limited TURN credential), one calls the other, and the
 * call's media goes through coturn only: every local ICE candidate is a relay candidate, the
 * selected pair is relay to relay, audio packets arrive on both sides, and coturn's log shows
 * the allocations made with the minted usernames.
 */

const SLUG = `turn-${Date.now().toString(36)}`;
const ADMIN = { email: `admin@${SLUG}.example.com`, password: "Adm1nPassword!" };
const ADA = { email: `ada@${SLUG}.example.com`, number: "2201", password: "Lovelace2201Pass" };
const GRACE = { email: `grace@${SLUG}.example.com`, number: "2202", password: "Hopper2202Passw" };
const ICE_ENV = ["TURN_URLS", "TURN_SECRET", "ICE_TRANSPORT_POLICY"] as const;

let stack: WebStack;
let browser: Browser;
let turn: LocalTurn;
const savedEnv: Record<string, string | undefined> = {};

async function api(method: string, path: string, body: unknown, token?: string) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface IceView {
  policy: string | undefined;
  packets: number;
  localTypes: string[];
  selected: { local: string | undefined; remote: string | undefined } | undefined;
}

/** The latest peer connection's configured policy, audio packets in, and candidate types. */
function iceView(page: Page): Promise<IceView> {
  return page.evaluate(`(async () => {
    const pc = window.__peerConnections.at(-1);
    if (!pc) return { policy: undefined, packets: 0, localTypes: [], selected: undefined };
    const stats = await pc.getStats();
    let packets = 0;
    const localTypes = [];
    let selected;
    stats.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") packets += s.packetsReceived;
      if (s.type === "local-candidate") localTypes.push(s.candidateType);
      if (s.type === "transport" && s.selectedCandidatePairId) {
        const pair = stats.get(s.selectedCandidatePairId);
        selected = {
          local: stats.get(pair.localCandidateId)?.candidateType,
          remote: stats.get(pair.remoteCandidateId)?.candidateType,
        };
      }
    });
    return { policy: pc.getConfiguration().iceTransportPolicy, packets, localTypes, selected };
  })()`) as Promise<IceView>;
}

const logIn = (user: { email: string; password: string }) => logInToWebClient(browser, stack.baseUrl, SLUG, user);

describe.skipIf(!TURNSERVER)("a Web Client call relayed through coturn (TURN only)", { timeout: 150_000 }, () => {
  beforeAll(async () => {
    const relayMin = 49_200 + Math.floor(Math.random() * 100) * 100;
    turn = await startCoturn({ port: await freePort(), relayMin, relayMax: relayMin + 99 });
    for (const name of ICE_ENV) savedEnv[name] = process.env[name];
    // Before the handlers read their configuration (startWebStack loads them).
    process.env.TURN_URLS = turn.url;
    process.env.TURN_SECRET = turn.secret;
    process.env.ICE_TRANSPORT_POLICY = "relay";
    stack = await startWebStack();
    const provisioned = await api(
      "POST",
      "/api/v1/platform/tenants",
      { name: "Acme TURN", slug: SLUG, adminEmail: ADMIN.email, adminPassword: ADMIN.password },
      stack.platformKey,
    );
    expect(provisioned.status, JSON.stringify(provisioned.body)).toBe(201);
    const login = await api("POST", "/api/v1/auth/login", { server: SLUG, ...ADMIN });
    const token = login.body.accessToken as string;
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
    }
    browser = await launchChromium(FAKE_MEDIA);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await turn?.stop();
    for (const name of ICE_ENV) {
      if (savedEnv[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnv[name];
    }
  });

  it("hands out TURN credentials and the relay policy, and the call's audio flows relay to relay", async () => {
    // Prepare: the client config says relay; the login answer carries a minted TURN credential.
    const config = (await (await fetch(`${stack.baseUrl}/api/v1/client-config`)).json()) as Record<string, unknown>;
    expect(config.iceTransportPolicy).toBe("relay");
    const answer = await api("POST", "/api/v1/auth/login", { server: SLUG, email: ADA.email, password: ADA.password });
    const servers = (answer.body.sip as { iceServers: { urls: string[]; username?: string }[] }).iceServers;
    expect(servers).toContainEqual(
      expect.objectContaining({ urls: [turn.url], username: expect.stringMatching(/^\d+:/) }),
    );
    const ada = await logIn(ADA);
    const grace = await logIn(GRACE);

    // Act: Ada calls Grace, Grace answers.
    await ada.getByLabel("Number to call").fill(GRACE.number);
    await ada.getByRole("button", { name: "Call", exact: true }).click();
    const ringing = grace.getByRole("alertdialog", { name: new RegExp(`Incoming call from .*${ADA.number}`) });
    await ringing.waitFor();
    await ringing.getByRole("button", { name: "Answer" }).click();
    await phoneOf(ada)
      .getByText(new RegExp(`On a call with .*${GRACE.number}`))
      .waitFor();

    // Assess: audio both ways, through relay candidates only.
    for (const page of [ada, grace]) {
      await expect.poll(async () => (await iceView(page)).packets, { timeout: 20_000 }).toBeGreaterThan(20);
      const view = await iceView(page);
      expect(view.policy).toBe("relay");
      expect(view.localTypes.length).toBeGreaterThan(0);
      expect(new Set(view.localTypes)).toEqual(new Set(["relay"]));
      expect(view.selected).toEqual({ local: "relay", remote: "relay" });
    }
    // coturn allocated for both sessions, with the usernames the login answers minted.
    const allocations = turn.log().match(/ALLOCATE processed, success/g) ?? [];
    expect(allocations.length).toBeGreaterThanOrEqual(2);
    expect(turn.log()).toMatch(/CHANNEL_BIND processed, success|CREATE_PERMISSION processed, success/);

    await ada.getByRole("button", { name: "Hang up" }).click();
    await phoneOf(grace)
      .getByText(/ended: The other side hung up/)
      .waitFor();
  });
});
