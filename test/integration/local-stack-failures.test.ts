import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOCAL_PORTS, type LocalPorts } from "../../scripts/local/ports.js";

/**
 * `npm start` that cannot start: a taken port names the variable to change, and whatever step
 * fails, DynamoDB Local is not left running (it would hold its port, and the next start would
 * fail on it). The real script as a child process, on free ports and a fresh data folder.
 */

const REPO = resolve(import.meta.dirname, "../..");

/** Free loopback ports, one per variable, all held open at once so none is handed out twice. */
async function freePorts(): Promise<LocalPorts> {
  const held = await Promise.all(LOCAL_PORTS.map(async ({ variable }) => ({ variable, server: await listening(0) })));
  const ports = Object.fromEntries(
    held.map(({ variable, server }) => [variable, (server.address() as { port: number }).port]),
  ) as LocalPorts;
  await Promise.all(held.map(({ server }) => close(server)));
  return ports;
}

function listening(port: number): Promise<Server> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => done(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((done) => server.close(() => done()));
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

/** Java processes whose command line names the data folder: the DynamoDB Local of this start. */
function javaProcessesFor(dataDir: string): number[] {
  return execFileSync("ps", ["-A", "-o", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => /\bjava\b/.test(line) && line.includes(dataDir))
    .map((line) => Number.parseInt(line, 10));
}

/** Runs `npm start`'s script to its end (or kills it after 90 s) and returns its exit code and output. */
function runStart(dataDir: string, ports: LocalPorts, extra: Record<string, string> = {}) {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(AWS_|PBX_|TEST_)|^(TABLE_NAME|LOG_LEVEL)$/.test(name)),
  );
  const child = spawn("npx", ["tsx", "scripts/start.ts"], {
    cwd: REPO,
    env: {
      ...inherited,
      ...Object.fromEntries(Object.entries(ports).map(([variable, port]) => [variable, String(port)])),
      PBX_DATA_DIR: dataDir,
      PBX_PLATFORM_KEY: "pbxp_local_stack_failure_test_0123456789",
      PBX_ADMIN_EMAIL: "owner@demo.example.com",
      PBX_ADMIN_PASSWORD: "Local5tackOwner",
      ...extra,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  return new Promise<{ code: number | null; output: string }>((done) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      done({ code, output });
    }),
  );
}

describe("npm start that fails", { timeout: 120_000 }, () => {
  let dataDir = "";
  const blockers: Server[] = [];

  afterEach(async () => {
    // A failing assertion must not leave a DynamoDB Local behind for the rest of the run.
    for (const pid of javaProcessesFor(dataDir)) process.kill(pid, "SIGKILL");
    await Promise.all(blockers.splice(0).map(close));
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each(["LINKUS_PORT", "HEALTH_PORT"] as const)(
    "with %s taken exits non-zero naming it and leaves no DynamoDB Local running",
    async (variable) => {
      // Arrange
      dataDir = await mkdtemp(join(tmpdir(), "cloud-pbx-failed-start-"));
      const ports = await freePorts();
      blockers.push(await listening(ports[variable]));

      // Act
      const run = await runStart(dataDir, ports);

      // Assess
      expect(run.code, run.output).not.toBe(0);
      expect(run.output).toContain(`Port ${ports[variable]} (${variable},`);
      expect(run.output).toContain(`set ${variable} to a free port`);
      expect(javaProcessesFor(dataDir), "java still running").toEqual([]);
      expect(await accepts(ports.DYNAMODB_PORT), "DynamoDB Local's port").toBe(false);
      expect(await accepts(ports.PORT), "the API's port").toBe(false);
    },
  );

  it("names both variables when two are given the same port", async () => {
    // Arrange
    dataDir = await mkdtemp(join(tmpdir(), "cloud-pbx-failed-start-"));
    const ports = await freePorts();

    // Act
    const run = await runStart(dataDir, { ...ports, HEALTH_PORT: ports.LINKUS_PORT });

    // Assess
    expect(run.code, run.output).not.toBe(0);
    expect(run.output).toContain(`LINKUS_PORT and HEALTH_PORT are both ${ports.LINKUS_PORT}`);
    expect(javaProcessesFor(dataDir)).toEqual([]);
  });

  it("stops DynamoDB Local when a step after it fails", async () => {
    // Arrange: a fresh data folder and an administrator password the policy refuses, so the
    // start fails at its last step, provisioning the demo PBX, once everything else runs.
    dataDir = await mkdtemp(join(tmpdir(), "cloud-pbx-failed-start-"));
    const ports = await freePorts();

    // Act
    const run = await runStart(dataDir, ports, { PBX_ADMIN_PASSWORD: "short" });

    // Assess
    expect(run.code, run.output).not.toBe(0);
    expect(run.output).toContain("Could not provision the demo tenant");
    expect(existsSync(join(dataDir, "dynamodb", "shared-local-instance.db")), "DynamoDB Local had started").toBe(true);
    expect(javaProcessesFor(dataDir), "java still running").toEqual([]);
    for (const variable of ["DYNAMODB_PORT", "SES_PORT", "PORT", "LINKUS_PORT", "HEALTH_PORT"] as const) {
      expect(await accepts(ports[variable]), `${variable} closed`).toBe(false);
    }
  });
});
