import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { defaultDeps } from "../../layers/core/deps.js";
import { appendChanges } from "../../layers/core/services/change-feed.js";
import { startListener } from "../../listener/server.js";
import { createSipUser, eventually, type Fixture, freePort, startFixture } from "./support/fixture.js";
import { registerScenario, runSipp, SIPP } from "./support/sipp.js";

type Frame = Record<string, any>;

/** A real `ws` client that records every frame. */
async function connect(
  url: string,
  first?: object,
): Promise<{ ws: WebSocket; frames: Frame[]; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  ws.on("message", (data) => frames.push(JSON.parse(String(data)) as Frame));
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  if (first) ws.send(JSON.stringify(first));
  return { ws, frames, closed };
}

/** Every change-feed entry received, in order: a `change` frame holds one, a `changes` frame several. */
function entriesOf(frames: Frame[], topic = "contacts"): Frame[] {
  return frames
    .filter((f) => f.topic === topic && (f.type === "change" || f.type === "changes"))
    .flatMap((f) => (f.type === "change" ? [f] : (f.changes as Frame[])));
}

/** The last presence state a client was told for an extension (snapshot or update). */
function presenceState(frames: Frame[], extensionId: string): string | undefined {
  return frames
    .filter((f) => f.type === "presence")
    .flatMap((f) => f.extensions as Frame[])
    .filter((e) => e.extensionId === extensionId)
    .at(-1)?.state;
}

/** Another listener task on the same table, with fast polls (as a second Fargate task would be). */
function startTask(options: { minExpires?: number } = {}) {
  return startListener({
    host: "127.0.0.1",
    sipPort: 0,
    linkusPort: 0,
    feedPollMs: 100,
    presencePollMs: 200,
    drainMs: 200,
    ...options,
  });
}

describe("Linkus channel on 8111", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  async function linkusUser(number: string) {
    const tenant = await fx.api.createTenant();
    const email = `u${number}@${tenant.slug}.example.com`;
    const user = await createSipUser(fx.api, tenant, number, 1, { email, userPassword: "UserPassw0rd" });
    const login = await fx.api.login(tenant.slug, email, "UserPassw0rd", "linkus_desktop");
    return { tenant, user, token: login.accessToken as string };
  }

  it("answers a ping and a resume sent right after hello, every time", async () => {
    const { token } = await linkusUser("599");
    for (let attempt = 0; attempt < 10; attempt++) {
      const ws = new WebSocket(`ws://127.0.0.1:${fx.listener.linkusPort}/?token=${token}`);
      const frames: Frame[] = [];
      ws.on("message", (data) => {
        const frame = JSON.parse(String(data)) as Frame;
        frames.push(frame);
        if (frame.type === "hello") {
          ws.send(JSON.stringify({ type: "ping" }));
          ws.send(JSON.stringify({ type: "resume", cursors: { contacts: 0 } }));
        }
      });
      await eventually(() => expect(frames.some((f) => f.type === "pong")).toBe(true), 3_000);
      ws.close();
    }
  });

  it.skipIf(!SIPP)("shows presence changing when a sipp phone registers", async () => {
    // Prepare
    const { tenant, user, token } = await linkusUser("501");
    const client = await connect(`ws://127.0.0.1:${fx.listener.linkusPort}/?token=${token}`);
    const snapshot = await eventually(() => {
      const frame = client.frames.find((f) => f.type === "presence" && f.snapshot);
      expect(frame).toBeDefined();
      return frame as Frame;
    });
    expect(snapshot.extensions.find((e: Frame) => e.extensionId === user.id)?.state).toBe("unregistered");
    // Act
    const result = await runSipp({
      scenario: registerScenario(200),
      rows: [[user.registrationName, tenant.slug, user.auth, "300"]],
      remotePort: fx.listener.sipPort,
      localPort: await freePort(),
    });
    expect(result.code, result.output).toBe(0);
    // Assess
    await eventually(() => {
      const updates = client.frames
        .filter((f) => f.type === "presence" && !f.snapshot)
        .flatMap((f) => f.extensions as Frame[])
        .filter((e) => e.extensionId === user.id);
      expect(updates.at(-1)).toMatchObject({ extensionId: user.id, number: "501", state: "registered" });
    });
    client.ws.close();
  });

  it.skipIf(!SIPP)(
    "shows a phone registering on another task, and lists registrations only when one changes",
    async () => {
      // Prepare: a second task on the same table; the Linkus client on it, the phone on the first.
      const other = await startTask();
      try {
        const { tenant, user, token } = await linkusUser("505");
        const client = await connect(`ws://127.0.0.1:${other.linkusPort}/?token=${token}`);
        await eventually(() => expect(client.frames.some((f) => f.type === "presence" && f.snapshot)).toBe(true));
        const stateOf = () => presenceState(client.frames, user.id);
        const listings = () => other.hub.stats.registrationListings;
        const phonePort = await freePort();
        const register = async (expires: number) => {
          const result = await runSipp({
            scenario: registerScenario(200),
            rows: [[user.registrationName, tenant.slug, user.auth, String(expires)]],
            remotePort: fx.listener.sipPort,
            localPort: phonePort,
          });
          expect(result.code, result.output).toBe(0);
        };
        const idleFrom = listings();
        await new Promise((resolve) => setTimeout(resolve, 1_200)); // six presence polls

        // Act
        const idleTo = listings();
        await register(300);
        await eventually(() => expect(stateOf()).toBe("registered"));
        const registeredAt = listings();
        await register(300); // a refresh: the same binding, nothing anyone sees changes
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        const refreshedAt = listings();
        await register(0);
        await eventually(() => expect(stateOf()).toBe("unregistered"));

        // Assess: polls read the epoch only; a registration or removal costs one listing, a refresh none.
        expect(stateOf()).toBe("unregistered");
        expect(idleTo - idleFrom).toBe(0);
        expect(refreshedAt).toBe(registeredAt);
        expect(listings()).toBeGreaterThan(refreshedAt);
        client.ws.close();
      } finally {
        await other.stop();
      }
    },
    30_000,
  );

  it.skipIf(!SIPP)(
    "shows a phone that stops refreshing as unregistered once its binding expires, re-reading only that extension",
    async () => {
      // Prepare: a task that accepts 2-second registrations, so expiry happens within the test.
      const short = await startTask({ minExpires: 1 });
      try {
        const { tenant, user, token } = await linkusUser("506");
        const client = await connect(`ws://127.0.0.1:${short.linkusPort}/?token=${token}`);
        await eventually(() => expect(client.frames.some((f) => f.type === "presence" && f.snapshot)).toBe(true));
        const stateOf = () => presenceState(client.frames, user.id);
        const result = await runSipp({
          scenario: registerScenario(200),
          rows: [[user.registrationName, tenant.slug, user.auth, "2"]],
          remotePort: short.sipPort,
          localPort: await freePort(),
        });
        expect(result.code, result.output).toBe(0);
        await eventually(() => expect(stateOf()).toBe("registered"));
        const listed = short.hub.stats.registrationListings;

        // Act: the phone goes quiet; nothing unregisters it.
        await eventually(() => expect(stateOf()).toBe("unregistered"), 6_000);

        // Assess: found by the lapse time of the last listing, with a read of that extension only.
        expect(short.hub.stats.registrationListings).toBe(listed);
        expect(short.hub.stats.lapseChecks).toBeGreaterThan(0);
        client.ws.close();
      } finally {
        await short.stop();
      }
    },
    30_000,
  );

  it("pushes a company contact change, and a reconnecting client gets what it missed from its cursor", async () => {
    // Prepare: authenticate with the first message instead of the URL.
    const { tenant, token } = await linkusUser("502");
    const deps = defaultDeps();
    const first = await connect(`ws://127.0.0.1:${fx.listener.linkusPort}/`, { type: "auth", token });
    const hello = await eventually(() => {
      const frame = first.frames.find((f) => f.type === "hello");
      expect(frame).toBeDefined();
      return frame as Frame;
    });
    const start = hello.latest.contacts as number;
    // Act: a contact changes while connected.
    await appendChanges(
      deps,
      tenant.id,
      "contacts",
      [{ action: "created", entity: "companyContact", id: "c1", data: { name: "Ada" } }],
      [],
    );
    const change = await eventually(() => {
      const frame = first.frames.find((f) => f.type === "change");
      expect(frame).toBeDefined();
      return frame as Frame;
    });
    expect(change).toMatchObject({ topic: "contacts", sequence: start + 1, action: "created", id: "c1" });
    first.ws.close();
    await first.closed;
    // Two more while disconnected, then a reconnect from the last sequence seen.
    await appendChanges(
      deps,
      tenant.id,
      "contacts",
      [
        { action: "updated", entity: "companyContact", id: "c1", data: { name: "Ada L." } },
        { action: "deleted", entity: "companyContact", id: "c2" },
      ],
      [],
    );
    const second = await connect(
      `ws://127.0.0.1:${fx.listener.linkusPort}/?token=${token}&contacts=${change.sequence}`,
    );
    const missed = await eventually(() => {
      const entries = entriesOf(second.frames);
      expect(entries).toHaveLength(2);
      return entries;
    });
    // Assess
    expect(missed.map((f) => [f.sequence, f.action, f.id])).toEqual([
      [start + 2, "updated", "c1"],
      [start + 3, "deleted", "c2"],
    ]);
    second.ws.close();
  });

  it("sends a burst of changes (an import) a page per frame, every entry once and in order", async () => {
    // Prepare
    const { tenant, token } = await linkusUser("504");
    const client = await connect(`ws://127.0.0.1:${fx.listener.linkusPort}/?token=${token}`);
    const hello = await eventually(() => {
      const frame = client.frames.find((f) => f.type === "hello");
      expect(frame).toBeDefined();
      return frame as Frame;
    });
    const start = hello.latest.contacts as number;

    // Act: 240 changes committed in three transactions, as an import job writes them.
    for (let batch = 0; batch < 3; batch++) {
      const changes = Array.from({ length: 80 }, (_, i) => ({
        action: "created" as const,
        entity: "companyContact",
        id: `bulk-${batch * 80 + i}`,
      }));
      await appendChanges(defaultDeps(), tenant.id, "contacts", changes, []);
    }
    const entries = await eventually(() => {
      const received = entriesOf(client.frames);
      expect(received).toHaveLength(240);
      return received;
    }, 15_000);

    // Assess
    expect(entries.map((e) => e.sequence)).toEqual(Array.from({ length: 240 }, (_, i) => start + 1 + i));
    expect(entries.map((e) => e.id)).toEqual(Array.from({ length: 240 }, (_, i) => `bulk-${i}`));
    const frames = client.frames.filter((f) => f.type === "change" || f.type === "changes");
    expect(frames.length).toBeLessThanOrEqual(6);
    client.ws.close();
  });

  it("pushes permission changes and answers pings", async () => {
    const { tenant, token } = await linkusUser("503");
    const client = await connect(`ws://127.0.0.1:${fx.listener.linkusPort}/?token=${token}`);
    await eventually(() => expect(client.frames.some((f) => f.type === "hello")).toBe(true));
    client.ws.send(JSON.stringify({ type: "ping" }));
    await appendChanges(defaultDeps(), tenant.id, "permissions", [{ action: "updated", entity: "role", id: "r1" }], []);
    await eventually(() => {
      expect(client.frames.some((f) => f.type === "pong")).toBe(true);
      expect(client.frames.find((f) => f.type === "change")).toMatchObject({ topic: "permissions", entity: "role" });
    });
    client.ws.close();
  });

  it("refuses a bad token with close code 4001", async () => {
    const client = await connect(`ws://127.0.0.1:${fx.listener.linkusPort}/?token=nope`);
    expect(await client.closed).toBe(4001);
  });

  it("answers GET /health", async () => {
    const response = await fetch(`http://127.0.0.1:${fx.listener.healthPort}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok" });
  });
});
