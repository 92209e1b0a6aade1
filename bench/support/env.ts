import { randomBytes } from "node:crypto";
import { ensureTable, localClient, startDynamoLocal } from "../../scripts/local/dynamodb.js";
import { freePort } from "../../test/support/global-setup.js";

/**
 * The environment a bench needs before anything reads it. Import this module first (a bare
 * `import "./support/env.js"` at the top): the logger reads LOG_LEVEL when it is imported, and
 * `defaultDeps()` reads the rest on first use. Same variables as test/support/global-setup.ts.
 */
Object.assign(process.env, {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  TABLE_NAME: "cloud-pbx-bench",
  PBX_MASTER_KEY: randomBytes(32).toString("base64"),
  PBX_PLATFORM_KEY: `pbxp_bench_${randomBytes(16).toString("hex")}`,
  LOG_LEVEL: process.env.LOG_LEVEL ?? "SILENT",
  PBX_LOCAL_TRUST_FORWARDED_FOR: "1",
  PUBLIC_WEB_URL: "https://linkus.bench.example",
  // The SDK warns about Node 20 at every import otherwise (as in vitest.config.ts).
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
});

export interface Stack {
  endpoint: string;
  /** DynamoDB Local's process id (for CPU accounting). */
  dynamoPid: number | undefined;
  stop: () => Promise<void>;
}

/** DynamoDB Local in memory on a free loopback port, with the table created. */
export async function startDynamo(): Promise<Stack> {
  const dynamo = await startDynamoLocal({ port: await freePort() });
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  const client = localClient(dynamo.endpoint);
  await ensureTable(client, process.env.TABLE_NAME as string);
  client.destroy();
  return { endpoint: dynamo.endpoint, dynamoPid: dynamo.process.pid, stop: () => dynamo.stop() };
}

export { freePort };
