import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as z from "zod";
import type { loginResponse } from "../../layers/core/schemas/auth.js";
import type {
  createExtensionResponse,
  listExtensionsResponse,
  sipCredentials,
} from "../../layers/core/schemas/extensions.js";
import type { listTenantsResponse } from "../../layers/core/schemas/tenants.js";

/**
 * `npm start` end to end: the real script as a child process, with its own DynamoDB Local
 * (java), SES emulator and API on free ports and a fresh data folder, talked to over HTTP
 * only. It is stopped the way Ctrl-C stops it and started again on the same data.
 */

const REPO = resolve(import.meta.dirname, "../..");
const PLATFORM_KEY = "pbxp_local_stack_test_0123456789abcdef";
const ADMIN_EMAIL = "owner@demo.example.com";
const ADMIN_PASSWORD = "Local5tackOwner";
const SIP_PASSWORD = "Sip!Secret-42xY";
const BANNER_END = "Ctrl-C stops everything.";

interface Ports {
  api: number;
  dynamo: number;
  ses: number;
  sip: number;
  linkus: number;
  health: number;
}

interface RunningStack {
  child: ChildProcess;
  /** Everything the script printed so far, stdout and stderr. */
  output: () => string;
  exited: Promise<void>;
  /** The script's process tree (npx, sh, tsx, node, java, esbuild) as it was once the banner showed. */
  pids: number[];
  javaPid: number;
  baseUrl: string;
}

/** Distinct free loopback ports: all held open at once so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((done, fail) => {
          const server = createServer();
          server.once("error", fail);
          server.listen(0, "127.0.0.1", () => done(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === "object" && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.setTimeout(2_000);
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A process and all its descendants, with their command lines, from `ps`. */
function processTree(root: number): Array<{ pid: number; args: string }> {
  const table = execFileSync("ps", ["-A", "-o", "pid=,ppid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), args: match[3] as string }));
  const tree = table.filter((row) => row.pid === root);
  for (let i = 0; i < tree.length; i++) {
    const parent = tree[i]?.pid;
    tree.push(...table.filter((row) => row.ppid === parent));
  }
  return tree.map(({ pid, args }) => ({ pid, args }));
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 100));
  }
}

function childEnv(dataDir: string, ports: Ports): NodeJS.ProcessEnv {
  // The test run's own emulator settings must not leak in: the script starts its own.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(AWS_|PBX_|TEST_|PUBLIC_)|^(TABLE_NAME|LOG_LEVEL)$/.test(name)),
  );
  return {
    ...inherited,
    PBX_DATA_DIR: dataDir,
    PORT: String(ports.api),
    DYNAMODB_PORT: String(ports.dynamo),
    SES_PORT: String(ports.ses),
    SIP_PORT: String(ports.sip),
    LINKUS_PORT: String(ports.linkus),
    HEALTH_PORT: String(ports.health),
    PBX_PLATFORM_KEY: PLATFORM_KEY,
    PBX_ADMIN_EMAIL: ADMIN_EMAIL,
    PBX_ADMIN_PASSWORD: ADMIN_PASSWORD,
  };
}

async function startStack(
  dataDir: string,
  ports: Ports,
  started: RunningStack[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<RunningStack> {
  const child = spawn("npx", ["tsx", "scripts/start.ts"], {
    cwd: REPO,
    env: { ...childEnv(dataDir, ports), ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stack: RunningStack = { child, output: () => output, exited, pids: [], javaPid: 0, baseUrl: "" };
  started.push(stack);

  const ready = await waitUntil(() => output.includes(BANNER_END) || child.exitCode !== null, 90_000);
  expect(output, "the banner within 90 s").toContain(BANNER_END);
  expect(ready && child.exitCode === null, output).toBe(true);

  const tree = processTree(child.pid as number);
  stack.pids = tree.map((p) => p.pid);
  stack.javaPid = tree.find((p) => /^\S*java\s.*DynamoDBLocal/.test(p.args))?.pid ?? 0;
  stack.baseUrl = `http://127.0.0.1:${ports.api}`;
  return stack;
}

/** Every folder and file under `dir` with its permission bits. */
async function modes(dir: string): Promise<Array<{ path: string; dir: boolean; mode: number }>> {
  const found = [{ path: dir, dir: true, mode: (await stat(dir)).mode & 0o777 }];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    found.push({ path, dir: entry.isDirectory(), mode: (await stat(path)).mode & 0o777 });
  }
  return found;
}

/**
 * What Ctrl-C in a terminal does: SIGINT to every process of the foreground group, except that
 * java is left out, so java stopping proves the script itself stops its children.
 */
async function pressCtrlC(stack: RunningStack): Promise<boolean> {
  for (const pid of stack.pids) {
    if (pid === stack.javaPid) continue;
    try {
      process.kill(pid, "SIGINT");
    } catch {
      // already gone
    }
  }
  return Promise.race([
    stack.exited.then(() => true),
    new Promise<boolean>((done) => setTimeout(() => done(false), 20_000)),
  ]);
}

async function call<T>(
  stack: RunningStack,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function logIn(stack: RunningStack): Promise<{ token: string; tenantId: string }> {
  const login = await call<z.infer<typeof loginResponse>>(stack, "POST", "/api/v1/auth/login", {
    body: { server: "demo", email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  return { token: login.body.accessToken, tenantId: login.body.tenant.id };
}

describe("npm start (scripts/start.ts)", { timeout: 240_000 }, () => {
  const started: RunningStack[] = [];
  let dataDir: string;
  let ports: Ports;
  let first: RunningStack;
  let firstLogin: { token: string; tenantId: string };
  let extensionId: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cloud-pbx-local-stack-"));
    // As an older version left it (and as mkdir makes it under the usual umask).
    await chmod(dataDir, 0o755);
    const [api, dynamo, ses, sip, linkus, health] = (await freePorts(6)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    ports = { api, dynamo, ses, sip, linkus, health };
  });

  afterAll(async () => {
    // Whatever failed above, no process of the stack may outlive the test.
    for (const stack of started) {
      const running = stack.child.exitCode === null && stack.child.signalCode === null;
      const current = running ? processTree(stack.child.pid as number).map((p) => p.pid) : [];
      for (const pid of new Set([...stack.pids, ...current])) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      if (running) await stack.exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("starts DynamoDB Local, the SES emulator and the API, and prints the banner", async () => {
    // Act
    first = await startStack(dataDir, ports, started);

    // Assert: the banner says where the credentials are, not what they are
    const output = first.output();
    expect(output).toContain("cloud-pbx is running");
    expect(output).toContain(`${first.baseUrl}/api/v1`);
    expect(output).toContain(`Credentials     ${join(dataDir, "local-secrets.json")}`);
    expect(output).not.toContain(PLATFORM_KEY);
    expect(output).not.toContain(ADMIN_PASSWORD);
    expect(output).toContain("Demo PBX login");
    expect(output).toMatch(new RegExp(`server demo\\s+email ${ADMIN_EMAIL}\\s+password: see `));
    const secrets = JSON.parse(await readFile(join(dataDir, "local-secrets.json"), "utf8"));
    expect(secrets).toMatchObject({
      platformKey: PLATFORM_KEY,
      demo: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });
    expect(first.javaPid, output).toBeGreaterThan(0);
    expect(await accepts(ports.api)).toBe(true);
    expect(await accepts(ports.dynamo)).toBe(true);
    expect(await accepts(ports.ses)).toBe(true);
    expect(await accepts(ports.sip), "the SIP listener (TCP)").toBe(true);
    expect(await accepts(ports.linkus), "the Linkus 8111 channel").toBe(true);
  });

  it("keeps the data folder, the secrets and DynamoDB Local's database readable by the owner only", async () => {
    // Act
    const found = await modes(dataDir);

    // Assert: folders 0700, files 0600, DynamoDB Local's own file included
    expect(found.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        join(dataDir, "local-secrets.json"),
        join(dataDir, "dynamodb", "shared-local-instance.db"),
      ]),
    );
    for (const entry of found) expect([entry.path, entry.mode]).toEqual([entry.path, entry.dir ? 0o700 : 0o600]);
  });

  it("serves the demo PBX: its administrator logs in, creates an extension and lists it", async () => {
    // Arrange
    firstLogin = await logIn(first);

    // Act
    const created = await call<z.infer<typeof createExtensionResponse>>(first, "POST", "/api/v1/extensions", {
      token: firstLogin.token,
      body: {
        firstName: "Grace",
        lastName: "Hopper",
        number: "2001",
        email: "grace@demo.example.com",
        registrationPassword: SIP_PASSWORD,
      },
    });
    const list = await call<z.infer<typeof listExtensionsResponse>>(first, "GET", "/api/v1/extensions", {
      token: firstLogin.token,
    });

    // Assert
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    extensionId = created.body.id;
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: extensionId, number: "2001", firstName: "Grace" })]),
    );
  });

  it("serves the OpenAPI document", async () => {
    // Act
    const openapi = await call<{ openapi: string; paths: Record<string, unknown> }>(
      first,
      "GET",
      "/api/v1/openapi.json",
    );

    // Assert
    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/auth/login", "/api/v1/extensions", "/api/v1/platform/tenants"]),
    );
  });

  it("serves the web app on the API's origin, its client paths and the API reference; emailed links follow PORT", async () => {
    // Act
    const get = (path: string) => fetch(`${first.baseUrl}${path}`);
    const [home, quick, docs, unknownApi, config] = await Promise.all([
      get("/"),
      get("/quick-login"),
      get("/api/docs"),
      get("/api/v1/no-such-route"),
      get("/api/v1/client-config"),
    ]);
    const welcome = await call<{ results: { status: string }[] }>(first, "POST", "/api/v1/extensions/welcome-emails", {
      token: firstLogin.token,
      body: { extensionIds: [extensionId] },
    });
    const store = (await (await fetch(`http://127.0.0.1:${ports.ses}/store`)).json()) as {
      emails: { destination: { to: string[] }; body: { text?: string } }[];
    };
    const mail = store.emails.find((m) => m.destination.to.some((to) => to.includes("grace@demo.example.com")));

    // Assert
    const page = await home.text();
    expect(home.status).toBe(200);
    expect(home.headers.get("content-type")).toMatch(/text\/html/);
    expect(page).toContain('<div id="root"></div>');
    expect(await quick.text(), "the SPA answers its own paths").toBe(page);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('id="reference"');
    expect(unknownApi.status).toBe(404);
    expect(unknownApi.headers.get("content-type")).toMatch(/application\/json/);
    expect(await config.json()).toEqual({
      linkusUrl: `ws://127.0.0.1:${ports.linkus}`,
      sipHost: "127.0.0.1",
      linkusPort: ports.linkus,
      iceTransportPolicy: "all",
    });
    expect(welcome.body.results[0]?.status, JSON.stringify(welcome.body)).toBe("sent");
    expect(mail?.body.text).toContain(`${first.baseUrl}/quick-login#token=`);
    expect(mail?.body.text).toContain(`Linkus port: ${ports.linkus}`);
  });

  it("serves the SES emulator's mail store on SES_PORT", async () => {
    // Act
    const response = await fetch(`http://127.0.0.1:${ports.ses}/store`);
    const store = (await response.json()) as { emails?: unknown };

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(Array.isArray(store.emails)).toBe(true);
  });

  it("stops every process, java included, on Ctrl-C", async () => {
    // Act
    const stopped = await pressCtrlC(first);

    // Assert
    expect(stopped, `still running 20 s after SIGINT:\n${first.output()}`).toBe(true);
    expect(await waitUntil(() => !isAlive(first.javaPid), 5_000), "the java process has exited").toBe(true);
    expect(first.pids.filter(isAlive), "processes of the stack still alive").toEqual([]);
    expect(await accepts(ports.api), "API port closed").toBe(false);
    expect(await accepts(ports.dynamo), "DynamoDB Local port closed").toBe(false);
    expect(await accepts(ports.sip), "SIP port closed").toBe(false);
    expect(await accepts(ports.linkus), "Linkus port closed").toBe(false);
    expect(await accepts(ports.ses), "SES emulator port closed").toBe(false);
  });

  it("starts again on the same data: every record kept, the demo tenant not created again", async () => {
    // Act
    const second = await startStack(dataDir, ports, started, { PBX_SHOW_CREDENTIALS: "1" });
    const login = await logIn(second);
    const list = await call<z.infer<typeof listExtensionsResponse>>(second, "GET", "/api/v1/extensions", {
      token: login.token,
    });
    const sip = await call<z.infer<typeof sipCredentials>>(
      second,
      "GET",
      `/api/v1/extensions/${extensionId}/sip-credentials`,
      {
        token: login.token,
      },
    );
    const tenants = await call<z.infer<typeof listTenantsResponse>>(second, "GET", "/api/v1/platform/tenants", {
      token: PLATFORM_KEY,
    });

    // Assert
    expect(second.output()).toMatch(new RegExp(`Platform key\\s+${PLATFORM_KEY}`));
    expect(second.output()).toMatch(new RegExp(`email ${ADMIN_EMAIL}\\s+password ${ADMIN_PASSWORD}`));
    expect(login.tenantId).toBe(firstLogin.tenantId);
    expect(list.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: extensionId, number: "2001", firstName: "Grace" })]),
    );
    expect(sip.status, JSON.stringify(sip.body)).toBe(200);
    expect(sip.body.registrationPassword, "sealed with the same master key as before").toBe(SIP_PASSWORD);
    expect(tenants.status).toBe(200);
    expect(tenants.body.items.filter((t) => t.slug === "demo")).toEqual([
      expect.objectContaining({ id: firstLogin.tenantId }),
    ]);

    // Act: stop again
    const stopped = await pressCtrlC(second);

    // Assert
    expect(stopped, `still running 20 s after SIGINT:\n${second.output()}`).toBe(true);
    expect(await waitUntil(() => !isAlive(second.javaPid), 5_000), "the java process has exited").toBe(true);
    expect(await accepts(ports.dynamo), "DynamoDB Local port closed").toBe(false);
    expect(await accepts(ports.sip), "SIP port closed").toBe(false);
    expect(await accepts(ports.linkus), "Linkus port closed").toBe(false);
  });
});
