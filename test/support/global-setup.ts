import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { ensureTable, localClient, startDynamoLocal } from "../../scripts/local/dynamodb.js";
import { startSes } from "../../scripts/local/ses.js";

/**
 * Runs once for the whole test run: DynamoDB Local (in memory) and the SES emulator on free
 * loopback ports, the table created from the CDK's definition, and the environment every
 * test worker inherits. Each test provisions its own tenants, so tests never share data.
 */
export default async function setup() {
  // vitest calls this once per project (vitest.config.ts has two): they share one stack.
  const shared = globalThis as { pbxTestStack?: { users: number; ready: Promise<() => Promise<void>> } };
  if (!shared.pbxTestStack) shared.pbxTestStack = { users: 0, ready: startStack() };
  const stack = shared.pbxTestStack;
  stack.users += 1;
  const stop = await stack.ready;
  return async () => {
    stack.users -= 1;
    if (stack.users === 0) await stop();
  };
}

async function startStack(): Promise<() => Promise<void>> {
  const dynamo = await startDynamoLocal({ port: await freePort() });
  const ses = await startSes(await freePort());
  Object.assign(process.env, {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SES: ses.endpoint,
    AWS_ENDPOINT_URL_SESV2: ses.endpoint,
    TEST_SES_ENDPOINT: ses.endpoint,
    TABLE_NAME: "cloud-pbx-test",
    PBX_MASTER_KEY: randomBytes(32).toString("base64"),
    PBX_PLATFORM_KEY: `pbxp_test_${randomBytes(16).toString("hex")}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "SILENT",
    // Tests act as distinct clients by sending X-Forwarded-For (see scripts/local/http-adapter.ts).
    PBX_LOCAL_TRUST_FORWARDED_FOR: "1",
    PUBLIC_WEB_URL: "https://linkus.test.example",
    // Every test file logs in from loopback and probes the same made-up users: the login gate's
    // platform-wide limits would add up across files. test/integration/auth-gate.test.ts sets
    // the shipped defaults back for itself.
    PBX_GATE_IP_ATTEMPTS: "1000000",
    PBX_GATE_TARGET_ATTEMPTS: "1000000",
  });
  const client = localClient(dynamo.endpoint);
  await ensureTable(client, "cloud-pbx-test");
  client.destroy();
  return async () => {
    await ses.stop();
    await dynamo.stop();
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
