import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSipUser, type Fixture, startFixture } from "./support/fixture.js";
import { Phone } from "./support/phone.js";

/** SIP over TCP under abuse: deadlines, idle limits and the per-IP cap (short limits for the test). */
describe("SIP over TCP: connection limits", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture({
      tcpLimits: { firstMessageMs: 800, messageMs: 800, untrustedIdleMs: 1_500, trustedIdleMs: 60_000, maxPerIp: 20 },
    });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const open = () =>
    new Promise<{ socket: Socket; closed: Promise<number> }>((resolve, reject) => {
      const started = Date.now();
      const socket = connect({ host: "127.0.0.1", port: fx.listener.sipPort });
      const closed = new Promise<number>((done) => socket.on("close", () => done(Date.now() - started)));
      socket.on("error", () => {});
      socket.once("connect", () => resolve({ socket, closed }));
      socket.once("error", reject);
    });

  it("closes a connection that trickles a message byte by byte once the message deadline passes", async () => {
    const { socket, closed } = await open();
    const trickle = setInterval(() => socket.write("R"), 200);
    const lifetime = await closed;
    clearInterval(trickle);
    expect(lifetime).toBeLessThan(2_500);
  });

  it("closes a connection that sends only keep-alives and never a message", async () => {
    const { socket, closed } = await open();
    const ping = setInterval(() => socket.write("\r\n\r\n"), 200);
    const lifetime = await closed;
    clearInterval(ping);
    expect(lifetime).toBeLessThan(2_500);
  });

  it("refuses connections from one IP beyond the cap while an authenticated phone keeps its connection", async () => {
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "601");
    const phone = await Phone.open(fx.listener.sipPort, "tcp");
    expect((await phone.register(user, tenant.slug)).status).toBe(200);
    const others = await Promise.all(Array.from({ length: 25 }, () => open()));
    const closedEarly = await Promise.all(
      others.map(({ closed }) =>
        Promise.race([closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 300))]),
      ),
    );
    // 20 per IP, the phone's included: at least 6 of the 25 are refused at once.
    expect(closedEarly.filter(Boolean).length).toBeGreaterThanOrEqual(6);
    // The slow ones are gone after the deadlines; the phone, authenticated, still registers.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await phone.register(user, tenant.slug)).status).toBe(200);
    for (const { socket } of others) socket.destroy();
    phone.close();
  });
});
