/**
 * Builds the whole cloud-pbx app: the stacks of one stage, wired together, with the cdk-nag
 * AwsSolutions checks registered. infra/app.ts (the `cdk` entry point) and the infra tests both
 * call this, so the tests check exactly what is deployed.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { readStageConfig, type StageConfig, stackName } from "./config.js";
import { ApiStack } from "./stacks/api-stack.js";
import { DataStack } from "./stacks/data-stack.js";
import { ListenerStack } from "./stacks/listener-stack.js";
import { MailStack } from "./stacks/mail-stack.js";
import { WebStack } from "./stacks/web-stack.js";

export interface PbxStacks {
  config: StageConfig;
  data: DataStack;
  mail: MailStack;
  api: ApiStack;
  listener: ListenerStack;
  web: WebStack;
}

export function buildPbxApp(app: App): PbxStacks {
  const config = readStageConfig(app.node);
  const tags = { project: "cloud-pbx", stage: config.stage };

  const data = new DataStack(app, stackName(config, "Data"), {
    config,
    tags,
    description: `cloud-pbx ${config.stage}: DynamoDB table and key secrets`,
    terminationProtection: config.protectData,
  });
  const mail = new MailStack(app, stackName(config, "Mail"), {
    config,
    tags,
    description: `cloud-pbx ${config.stage}: SES identity and configuration set`,
  });
  const api = new ApiStack(app, stackName(config, "Api"), {
    config,
    tags,
    description: `cloud-pbx ${config.stage}: REST API, Lambda functions, authorizer, WAF and the notifier`,
    table: data.table,
    masterKeySecret: data.masterKeySecret,
    cursorKeySecret: data.cursorKeySecret,
    platformKeySecret: data.platformKeySecret,
    originSecret: data.originSecret,
    mailFromAddress: mail.fromAddress,
    sesConfigurationSetName: mail.configurationSet.configurationSetName,
  });

  const listener = new ListenerStack(app, stackName(config, "Listener"), {
    config,
    tags,
    description: `cloud-pbx ${config.stage}: SIP and Linkus 8111 listener on ECS Fargate behind a Network Load Balancer`,
    table: data.table,
    masterKeySecret: data.masterKeySecret,
    // An arm64 image URI built by CI; without it, `cdk deploy` builds ./Dockerfile (needs Docker).
    image: listenerImage(app),
  });

  const web = new WebStack(app, stackName(config, "Web"), {
    config,
    tags,
    description: `cloud-pbx ${config.stage}: the web app on S3 behind CloudFront, with /api routed to the REST API`,
    api: api.api,
    originSecret: data.originSecret,
    // ApiStack names its stage after the stage (deployOptions.stageName).
    apiStageName: config.stage,
    webDist: webDist(app),
  });

  // `cdk synth` fails on any unacknowledged AwsSolutions error; warnings are printed.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, data, mail, api, listener, web };
}

/** `-c listenerImage=<uri>`: the listener image to run instead of building the Dockerfile. */
function listenerImage(app: App): string | undefined {
  const value: unknown = app.node.tryGetContext("listenerImage");
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || /\s/.test(value)) throw new Error('Context "listenerImage" must be an image URI');
  return value;
}

/** `-c webDist=<dir>`: the built web app to deploy (default web/dist, which infra/app.ts builds). */
function webDist(app: App): string {
  const value: unknown = app.node.tryGetContext("webDist");
  if (value !== undefined && typeof value !== "string") throw new Error('Context "webDist" must be a directory');
  const dir = resolve(import.meta.dirname, "..", value || "web/dist");
  if (!existsSync(join(dir, "index.html")) || !existsSync(join(dir, "api/docs/index.html"))) {
    throw new Error(`The web app is not built in ${dir}: run \`npm run build:web\` (\`npm run synth\` builds it)`);
  }
  return dir;
}
