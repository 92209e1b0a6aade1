import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BARESIP, type Baresip, startBaresip, type TracedMessage } from "../../listener/support/baresip.js";
import {
  bindingsOf,
  callLogsOf,
  createSipUser,
  eventually,
  type Fixture,
  freePort,
  type SipUser,
  startFixture,
} from "../../listener/support/fixture.js";
import { answerScenario, registerScenario, runSipp, SIPP, startSipp } from "../../listener/support/sipp.js";

if (!BARESIP) console.warn("baresip is not installed (Debian package baresip-core): the interop tests are skipped");
if (!SIPP) console.warn("sipp is not installed (Debian package sip-tester): the interop tests are skipped");

/** One answered call in each extension's call log, the caller's lasting at least a second. */
async function expectAnsweredLogs(tenantId: string, caller: SipUser, callee: SipUser) {
  const [callerLog] = await eventually(async () => {
    const logs = await callLogsOf(tenantId, caller.id);
    expect(logs).toHaveLength(1);
    return logs;
  });
  expect(callerLog).toMatchObject({ kind: "call", status: "answered", number: callee.number, direction: "internal" });
  expect(callerLog?.durationSeconds).toBeGreaterThanOrEqual(1);
  const [calleeLog] = await eventually(async () => {
    const logs = await callLogsOf(tenantId, callee.id);
    expect(logs).toHaveLength(1);
    return logs;
  });
  expect(calleeLog).toMatchObject({ kind: "call", status: "answered", number: caller.number });
}

const method = (message: TracedMessage) => message.startLine.split(" ")[0];
const isRequest = (message: TracedMessage) => !message.startLine.startsWith("SIP/2.0");
const status = (message: TracedMessage) => Number(message.startLine.split(" ")[1]);
const cseqMethod = (message: TracedMessage) =>
  message.headers.find((header) => /^CSeq:/i.test(header))?.split(/\s+/)[2];

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Real softphones through the listener with its default settings (one MD5 challenge, UDP and TCP). */
describe.skipIf(!BARESIP || !SIPP)("interop with a real softphone (baresip 1.0) through the listener", () => {
  let fx: Fixture;
  const phones: Baresip[] = [];
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterEach(async () => {
    await Promise.all(phones.splice(0).map((phone) => phone.stop()));
  });
  afterAll(async () => {
    await fx?.stop();
  });

  async function registeredBaresip(
    user: SipUser,
    slug: string,
    transport: "udp" | "tcp",
    answermode: "manual" | "auto" = "manual",
  ) {
    const phone = await startBaresip([
      {
        user: user.registrationName,
        password: user.password,
        domain: slug,
        proxyPort: fx.listener.sipPort,
        transport,
        answermode,
      },
    ]);
    phones.push(phone);
    const registered = await phone.waitFor(["REGISTER_OK", "REGISTER_FAIL"]);
    expect(registered, phone.output()).toMatchObject({ type: "REGISTER_OK" });
    return phone;
  }

  /** What baresip sent to the listener and what it received from it. */
  const toListener = (phone: Baresip) =>
    phone.trace().filter((message) => message.destination === `127.0.0.1:${fx.listener.sipPort}`);
  const fromListener = (phone: Baresip) =>
    phone.trace().filter((message) => message.source === `127.0.0.1:${fx.listener.sipPort}`);

  /** The status line of the final answer the listener relayed to baresip's `requestMethod`. */
  const answerTo = (phone: Baresip, requestMethod: string) =>
    fromListener(phone).find(
      (message) => cseqMethod(message) === requestMethod && !isRequest(message) && status(message) >= 200,
    )?.startLine;

  /** Registers the callee from `port` with sipp over UDP, so a sipp UAS on that port gets its calls. */
  async function registerSippFrom(user: SipUser, slug: string, port: number) {
    const result = await runSipp({
      scenario: registerScenario(200),
      rows: [[user.registrationName, slug, user.auth, "300"]],
      remotePort: fx.listener.sipPort,
      localPort: port,
    });
    expect(result.code, result.output).toBe(0);
  }

  /** baresip calls a sipp UAS registered over UDP, which answers; baresip hangs up after a second. */
  async function callSippFromBaresip(transport: "udp" | "tcp") {
    // Prepare
    const tenant = await fx.api.createTenant();
    const caller = await createSipUser(fx.api, tenant, "401");
    const callee = await createSipUser(fx.api, tenant, "402");
    const phone = await registeredBaresip(caller, tenant.slug, transport);
    const calleePort = await freePort();
    await registerSippFrom(callee, tenant.slug, calleePort);
    const uas = startSipp({
      scenario: answerScenario(),
      rows: [["x"]],
      remotePort: fx.listener.sipPort,
      localPort: calleePort,
      timeoutSeconds: 20,
    });
    await pause(300);
    // Act
    const dialed = await phone.command("dial", `sip:${callee.number}@${tenant.slug}`);
    expect(dialed.ok, dialed.data).toBe(true);
    await phone.waitFor("CALL_ESTABLISHED");
    await pause(1_200);
    await phone.command("hangup");
    const answered = await uas.done;
    // Assess: sipp's scenario ends only once it has received the ACK and the BYE and answered the BYE.
    expect(answered.code, `${answered.output}\n--- baresip:\n${phone.output()}`).toBe(0);
    const closed = await phone.waitFor("CALL_CLOSED");
    expect(closed.param, phone.output()).toMatch(/reset by user/i);
    await eventually(() => expect(answerTo(phone, "BYE"), phone.output()).toBe("SIP/2.0 200 OK"));
    await expectAnsweredLogs(tenant.id, caller, callee);
    return phone;
  }

  it("registers baresip with the default single MD5 challenge and stores its binding", async () => {
    // Prepare
    const tenant = await fx.api.createTenant();
    const user = await createSipUser(fx.api, tenant, "400");
    // Act
    const phone = await registeredBaresip(user, tenant.slug, "udp");
    // Assess
    const bindings = await bindingsOf(tenant.id, user.id);
    expect(bindings, phone.output()).toHaveLength(1);
    expect(bindings[0]).toMatchObject({ kind: "phone", flow: { transport: "udp", port: phone.sipPort } });
    expect(bindings[0]?.userAgent).toMatch(/^baresip v1\./);
    expect(bindings[0]?.contact).toContain(`@127.0.0.1:${phone.sipPort}`);
    expect(bindings[0]?.expiresAtMs).toBeGreaterThan(Date.now() + 250_000);
    // One 401 with one MD5 challenge (baresip 1.0 gives up on a second one), then only 200s.
    const answers = fromListener(phone).filter((message) => cseqMethod(message) === "REGISTER");
    expect(
      answers.map(status).filter((code) => code !== 200),
      phone.output(),
    ).toEqual([401]);
    expect(answers.map(status)).toContain(200);
    const challenges = answers[0]?.headers.filter((header) => /^WWW-Authenticate:/i.test(header)) ?? [];
    expect(challenges).toHaveLength(1);
    expect(challenges[0]).toMatch(/algorithm=MD5/);
    expect(phone.events.some((event) => event.type === "REGISTER_FAIL")).toBe(false);
  });

  it("connects a call from baresip over UDP to a sipp phone; ACK and BYE reach it; both call logs", async () => {
    await callSippFromBaresip("udp");
  });

  it("connects a call from baresip over TCP to a sipp phone on UDP; ACK and BYE cross transports", async () => {
    const phone = await callSippFromBaresip("tcp");
    // The caller's side really was TCP: everything it sent the listener, ACK and BYE included, went over TCP.
    const sent = toListener(phone);
    expect(sent.filter(isRequest).map(method), phone.output()).toEqual(
      expect.arrayContaining(["REGISTER", "INVITE", "ACK", "BYE"]),
    );
    expect(new Set(sent.map((message) => message.transport))).toEqual(new Set(["TCP"]));
  });

  it("connects baresip over TCP to baresip over UDP; the callee hangs up and its BYE reaches the TCP caller", async () => {
    // Prepare
    const tenant = await fx.api.createTenant();
    const callerUser = await createSipUser(fx.api, tenant, "411");
    const calleeUser = await createSipUser(fx.api, tenant, "412");
    const caller = await registeredBaresip(callerUser, tenant.slug, "tcp");
    const callee = await registeredBaresip(calleeUser, tenant.slug, "udp", "auto");
    // Act
    const dialed = await caller.command("dial", `sip:${calleeUser.number}@${tenant.slug}`);
    expect(dialed.ok, dialed.data).toBe(true);
    await caller.waitFor("CALL_ESTABLISHED");
    await callee.waitFor("CALL_ESTABLISHED");
    await pause(1_200);
    await callee.command("hangup");
    // Assess: the caller saw its peer end the call, so the BYE crossed from UDP to TCP.
    const closed = await caller.waitFor("CALL_CLOSED");
    expect(closed.param, `${caller.output()}\n--- callee:\n${callee.output()}`).toMatch(/reset by peer/i);
    await callee.waitFor("CALL_CLOSED");
    const calleeGot = fromListener(callee).filter(isRequest);
    expect(calleeGot.map(method), callee.output()).toEqual(expect.arrayContaining(["INVITE", "ACK"]));
    expect(new Set(calleeGot.map((message) => message.transport))).toEqual(new Set(["UDP"]));
    // The caller's credentials were for the listener's realm: they never reach the callee.
    const forwardedCredentials = calleeGot.flatMap((message) =>
      message.headers.filter((header) => /^Proxy-Authorization:/i.test(header)),
    );
    expect(forwardedCredentials, callee.output()).toEqual([]);
    const callerGotBye = fromListener(caller).find((message) => method(message) === "BYE");
    expect(callerGotBye?.transport, caller.output()).toBe("TCP");
    await eventually(() => expect(answerTo(callee, "BYE"), callee.output()).toBe("SIP/2.0 200 OK"));
    await expectAnsweredLogs(tenant.id, callerUser, calleeUser);
  });
});
