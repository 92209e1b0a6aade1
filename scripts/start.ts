/**
 * `npm start`: the whole PBX on this machine. DynamoDB Local and the SES emulator (unless
 * AWS_ENDPOINT_URL points elsewhere), the table from the CDK's own definition, and the API
 * through the API Gateway-faithful local adapter. First start provisions the demo tenant.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { generatePassword } from "../layers/core/auth/password.js";
import { DEFAULT_TABLE_NAME } from "../layers/core/table.js";
import { restrictToOwner } from "./local/data-dir.js";
import { ensureTable, localClient, startDynamoLocal } from "./local/dynamodb.js";
import { assertPortsFree, explainStartError, type LocalPorts, readPorts } from "./local/ports.js";
import { startSes } from "./local/ses.js";

interface LocalSecrets {
  masterKey: string;
  platformKey: string;
  demo?: { server: string; email: string; password: string };
}

const env = process.env;
const dataDir = resolve(env.PBX_DATA_DIR ?? ".data");
const stops: Array<() => Promise<void>> = [];
let ports: LocalPorts | undefined;

async function loadSecrets(): Promise<LocalSecrets> {
  const file = resolve(dataDir, "local-secrets.json");
  let secrets: LocalSecrets;
  try {
    secrets = JSON.parse(await readFile(file, "utf8")) as LocalSecrets;
  } catch {
    secrets = {
      masterKey: randomBytes(32).toString("base64"),
      platformKey: `pbxp_${randomBytes(24).toString("base64url")}`,
    };
  }
  if (env.PBX_PLATFORM_KEY) secrets.platformKey = env.PBX_PLATFORM_KEY;
  await saveSecrets(secrets);
  return secrets;
}

async function saveSecrets(secrets: LocalSecrets): Promise<void> {
  const file = resolve(dataDir, "local-secrets.json");
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

async function main(): Promise<void> {
  ports = readPorts(env);
  await assertPortsFree(ports, { emulators: !env.AWS_ENDPOINT_URL });
  // Whatever the stack writes (secrets, DynamoDB Local's database and journals, which java
  // creates with this umask too) is readable by the owner only.
  process.umask(0o077);
  await mkdir(resolve(dataDir, "dynamodb"), { recursive: true, mode: 0o700 });
  await restrictToOwner(dataDir);
  const secrets = await loadSecrets();
  env.AWS_REGION ??= "us-east-1";
  env.TABLE_NAME ??= DEFAULT_TABLE_NAME;
  env.PBX_MASTER_KEY = secrets.masterKey;
  env.PBX_PLATFORM_KEY = secrets.platformKey;
  env.POWERTOOLS_SERVICE_NAME ??= "cloud-pbx-local";
  env.LOG_LEVEL ??= "WARN";
  // The Lambdas run on Node 22; locally Node 20 is fine, so silence the SDK's upgrade notice.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

  let mailViewer = "(external endpoint: no local mail viewer)";
  let dynamoEndpoint = env.AWS_ENDPOINT_URL;
  if (!env.AWS_ENDPOINT_URL) {
    // Emulators accept any credentials; set dummy ones so the SDK never looks for real ones.
    env.AWS_ACCESS_KEY_ID ??= "local";
    env.AWS_SECRET_ACCESS_KEY ??= "local";
    const dynamo = await startDynamoLocal({
      port: ports.DYNAMODB_PORT,
      dataDir: resolve(dataDir, "dynamodb"),
    });
    stops.push(dynamo.stop);
    const ses = await startSes(ports.SES_PORT);
    stops.push(ses.stop);
    env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
    env.AWS_ENDPOINT_URL_SES = ses.endpoint;
    env.AWS_ENDPOINT_URL_SESV2 = ses.endpoint;
    dynamoEndpoint = dynamo.endpoint;
    mailViewer = ses.endpoint;
  }
  const client = localClient(dynamoEndpoint ?? "");
  await ensureTable(client, env.TABLE_NAME);
  client.destroy();

  // Links in emails and the Web Client's Linkus channel follow the ports this stack uses.
  env.PUBLIC_WEB_URL ??= `http://127.0.0.1:${ports.PORT}`;
  env.PUBLIC_LINKUS_PORT ??= String(ports.LINKUS_PORT);
  // Linkus clients' login answer names the listener's SIP port.
  env.PUBLIC_SIP_PORT ??= String(ports.SIP_PORT);

  // The browser app, rebuilt when its sources changed since the last build.
  const { ensureWebBuild, serveSite } = await import("./local/web.js");
  if (env.PBX_SKIP_WEB_BUILD !== "1") await ensureWebBuild();

  // Imported only now: the handlers read their configuration from the environment set above.
  const { createLocalApi, listen } = await import("./local/http-adapter.js");
  const server = createLocalApi({ site: serveSite });
  const baseUrl = await listen(server, ports.PORT);
  stops.unshift(() => new Promise<void>((done) => server.close(() => done())));

  // The media relay (its own EC2 group in AWS): bridges browsers to desk phones, relays NATed phones.
  const { startRtpEngine } = await import("./local/rtpengine.js");
  const rtpengine = await startRtpEngine({
    ngPort: Number(env.RTPENGINE_NG_PORT ?? 2223),
    portMin: Number(env.RTPENGINE_PORT_MIN ?? 30000),
    portMax: Number(env.RTPENGINE_PORT_MAX ?? 30999),
  });
  if (rtpengine) stops.push(rtpengine.stop);
  const mediaLine = rtpengine
    ? `  Media relay     rtpengine on ${rtpengine.mediaAddress}, ng 127.0.0.1:${rtpengine.ng.port} (RTP ${env.RTPENGINE_PORT_MIN ?? 30000}-${env.RTPENGINE_PORT_MAX ?? 30999})`
    : "  Media relay     rtpengine is NOT installed (apt-get install rtpengine-daemon): calls between browsers work, browser to desk phone calls get no audio";

  // The SIP and Linkus 8111 listener (a Fargate task in AWS).
  const { startListener } = await import("../listener/server.js");
  const listener = await startListener({
    host: "127.0.0.1",
    sipPort: ports.SIP_PORT,
    linkusPort: ports.LINKUS_PORT,
    healthPort: ports.HEALTH_PORT,
    rtpengine: rtpengine?.ng,
  });
  stops.unshift(() => listener.stop());

  // The background worker (notifications, contact imports), as the schedule runs it in AWS
  // (there, new outbox items and import jobs also arrive by stream).
  const { handler: notifier } = await import("../functions/notifier.js");
  const timer = setInterval(
    () => {
      notifier({ source: "local.schedule" } as never).catch((error: unknown) => console.error("notifier", error));
    },
    Number(env.PBX_NOTIFIER_INTERVAL_MS ?? 3000),
  );
  stops.unshift(async () => clearInterval(timer));

  const demo = await ensureDemoTenant(baseUrl, secrets);
  console.log(
    [
      "",
      "cloud-pbx is running",
      `  Web portal      ${baseUrl}/  (admin portal and Linkus Web Client)`,
      `  API reference   ${baseUrl}/api/docs`,
      `  API             ${baseUrl}/api/v1`,
      `  OpenAPI         ${baseUrl}/api/v1/openapi.json`,
      `  Mail viewer     ${mailViewer}`,
      `  SIP             udp/tcp 127.0.0.1:${ports.SIP_PORT} (domain = the tenant's slug)`,
      `  Linkus          ws://127.0.0.1:${ports.LINKUS_PORT}  (SIP over WebSocket on /sip)`,
      mediaLine,
      `  Data            ${dataDir}`,
      ...credentialLines(secrets.platformKey, demo),
      `  curl -s ${baseUrl}/api/v1/auth/login -H 'content-type: application/json' \\`,
      `    -d '{"server":"${demo.server}","email":"${demo.email}","password":"<password>"}'`,
      "",
      "Ctrl-C stops everything.",
    ].join("\n"),
  );
}

/**
 * Where the platform key and the demo login are, not what they are: stdout ends up in
 * terminals' scrollback, CI logs and screen shares. PBX_SHOW_CREDENTIALS=1 (or
 * `npm start -- --show-credentials`) prints them as well.
 */
function credentialLines(platformKey: string, demo: { server: string; email: string; password: string }): string[] {
  const file = resolve(dataDir, "local-secrets.json");
  const show = env.PBX_SHOW_CREDENTIALS === "1" || process.argv.includes("--show-credentials");
  if (!show) {
    return [
      `  Credentials     ${file} (owner-only): the platform key and the demo login`,
      "                  (PBX_SHOW_CREDENTIALS=1 prints them here)",
      "",
      "Demo PBX login",
      `  server ${demo.server}   email ${demo.email}   password: see ${file}`,
      "",
    ];
  }
  return [
    `  Platform key    ${platformKey}`,
    "",
    "Demo PBX login",
    `  server ${demo.server}   email ${demo.email}   password ${demo.password}`,
    "",
  ];
}

/** Provisions the demo tenant through the platform API on first start; later starts reuse it. */
async function ensureDemoTenant(baseUrl: string, secrets: LocalSecrets) {
  const auth = { authorization: `Bearer ${secrets.platformKey}`, "content-type": "application/json" };
  const email = env.PBX_ADMIN_EMAIL ?? secrets.demo?.email ?? "admin@demo.example.com";
  const password = env.PBX_ADMIN_PASSWORD ?? secrets.demo?.password ?? generatePassword(16);
  const response = await fetch(`${baseUrl}/api/v1/platform/tenants`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ name: "Demo PBX", slug: "demo", adminEmail: email, adminPassword: password }),
  });
  if (response.status === 201) {
    secrets.demo = { server: "demo", email, password };
    await saveSecrets(secrets);
    return secrets.demo;
  }
  const body = (await response.json()) as { field?: string; message?: string };
  if (response.status === 409 && body.field === "slug") {
    return secrets.demo ?? { server: "demo", email, password: "(set on first start; see PBX_ADMIN_PASSWORD)" };
  }
  throw new Error(`Could not provision the demo tenant: ${response.status} ${JSON.stringify(body)}`);
}

let stopping = false;

async function shutdown(code: number): Promise<void> {
  // A second Ctrl-C while stopping must not cut the shutdown short and orphan DynamoDB Local.
  if (stopping) return;
  stopping = true;
  for (const stop of stops.splice(0)) await stop().catch(() => undefined);
  process.exit(code);
}

/** A failed start, whatever step failed and however (a rejection, or an error event nobody listened to), stops what started. */
function failed(error: unknown): void {
  console.error(`npm start failed: ${explainStartError(error, ports)}`);
  void shutdown(1);
}

process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
process.on("uncaughtException", failed);
process.on("unhandledRejection", failed);
main().catch(failed);
