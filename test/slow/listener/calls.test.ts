import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callLogsOf,
  createSipUser,
  eventually,
  type Fixture,
  freePort,
  type SipUser,
  startFixture,
} from "../../listener/support/fixture.js";
import {
  answerScenario,
  callScenario,
  cancelScenario,
  registerScenario,
  ringScenario,
  runSipp,
  SIPP,
  startSipp,
} from "../../listener/support/sipp.js";

if (!SIPP) console.warn("sipp is not installed (Debian package sip-tester): the sipp call tests are skipped");

describe.skipIf(!SIPP)("calls between extensions through the proxy, sipp on both ends", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  /** Registers the callee from `port`, so a sipp UAS started on the same port receives its calls. */
  async function registerFrom(user: SipUser, slug: string, port: number) {
    const result = await runSipp({
      scenario: registerScenario(200),
      rows: [[user.registrationName, slug, user.auth, "300"]],
      remotePort: fx.listener.sipPort,
      localPort: port,
    });
    expect(result.code, result.output).toBe(0);
  }

  it("connects a call from one sipp phone to another and writes both call logs", async () => {
    // Prepare
    const tenant = await fx.api.createTenant();
    const caller = await createSipUser(fx.api, tenant, "301");
    const callee = await createSipUser(fx.api, tenant, "302");
    const calleePort = await freePort();
    await registerFrom(callee, tenant.slug, calleePort);
    const uas = startSipp({
      scenario: answerScenario(),
      rows: [["x"]],
      remotePort: fx.listener.sipPort,
      localPort: calleePort,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Act
    const uac = await runSipp({
      scenario: callScenario(),
      rows: [[caller.registrationName, tenant.slug, caller.auth, callee.number]],
      remotePort: fx.listener.sipPort,
      localPort: await freePort(),
    });
    const answered = await uas.done;
    // Assess
    expect(uac.code, uac.output).toBe(0);
    expect(answered.code, answered.output).toBe(0);
    const [callerLog] = await eventually(async () => {
      const logs = await callLogsOf(tenant.id, caller.id);
      expect(logs).toHaveLength(1);
      return logs;
    });
    expect(callerLog).toMatchObject({ kind: "call", status: "answered", number: "302", direction: "internal" });
    expect(callerLog?.durationSeconds).toBeGreaterThanOrEqual(1);
    const calleeLogs = await callLogsOf(tenant.id, callee.id);
    expect(calleeLogs[0]).toMatchObject({ kind: "call", status: "answered", number: "301" });
  });

  it("cancels a ringing call: 487 to the caller, missed call for the callee", async () => {
    const tenant = await fx.api.createTenant();
    const caller = await createSipUser(fx.api, tenant, "311");
    const callee = await createSipUser(fx.api, tenant, "312");
    const calleePort = await freePort();
    await registerFrom(callee, tenant.slug, calleePort);
    const uas = startSipp({
      scenario: ringScenario(),
      rows: [["x"]],
      remotePort: fx.listener.sipPort,
      localPort: calleePort,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const uac = await runSipp({
      scenario: cancelScenario(),
      rows: [[caller.registrationName, tenant.slug, caller.auth, callee.number]],
      remotePort: fx.listener.sipPort,
      localPort: await freePort(),
    });
    const rang = await uas.done;
    expect(uac.code, uac.output).toBe(0);
    expect(rang.code, rang.output).toBe(0);
    const logs = await eventually(async () => {
      const found = await callLogsOf(tenant.id, callee.id);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(logs[0]).toMatchObject({ status: "missed", number: "311" });
    expect((await callLogsOf(tenant.id, caller.id))[0]).toMatchObject({ status: "cancelled", number: "312" });
  });
});
