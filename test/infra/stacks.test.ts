import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { App, type CfnElement, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { readStageConfig } from "../../infra/config.js";
import {
  esbuildOptions,
  FUNCTION_GROUPS,
  functionEntries,
  NODE_MAJOR,
  PbxFunction,
  RUNTIME,
  SUPPORT_FUNCTIONS,
} from "../../infra/constructs/pbx-function.js";
import { FUNCTION_ACCESS, SES_SEND_ACTIONS } from "../../infra/stacks/function-access.js";
import { ENV } from "../../layers/core/config.js";
import { ORIGIN_SECRET_HEADER, VIEWER_ADDRESS_HEADER } from "../../layers/core/http/caller-ip.js";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { routeList } from "../../layers/core/routes.js";
import { TABLE } from "../../layers/core/table.js";
import { cdkJsonContext, type SynthesizedPbx, synthPbx } from "./synth.js";

const SLOW = { timeout: 180_000 };

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> } & Record<string, unknown>>;

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function propertiesOf(resources: Resources, id: string): Record<string, unknown> {
  const properties = resources[id]?.Properties;
  if (!properties) throw new Error(`No resource ${id} in the template`);
  return properties;
}

/** Full path of every AWS::ApiGateway::Resource, by logical id, rebuilt from ParentId and PathPart. */
function resourcePaths(resources: Resources): Map<string, string> {
  const paths = new Map<string, string>();
  const resolve = (id: string): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const props = resources[id]?.Properties as { ParentId: { Ref?: string }; PathPart: string };
    const parent = props.ParentId.Ref ? resolve(props.ParentId.Ref) : "";
    const path = `${parent}/${props.PathPart}`;
    paths.set(id, path);
    return path;
  };
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === "AWS::ApiGateway::Resource") resolve(id);
  }
  return paths;
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

/** Every statement of every policy attached to the role with this logical id. */
function statementsOfRole(resources: Resources, roleId: string): Statement[] {
  return Object.values(resources)
    .filter((r) => r.Type === "AWS::IAM::Policy")
    .filter((r) => JSON.stringify((r.Properties as { Roles: unknown }).Roles).includes(`"${roleId}"`))
    .flatMap((r) => (r.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement);
}

const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());

describe("cloud-pbx stacks", SLOW, () => {
  let dev: SynthesizedPbx;
  let prod: SynthesizedPbx;
  let devData: Template;
  let prodData: Template;
  let mail: Template;
  let api: Template;
  let apiResources: Resources;
  /** One more synth with every non-default option the tests below look at, made on first use. */
  let variantSynth: SynthesizedPbx | undefined;
  const CI_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cloud-pbx/listener:1.2.3";
  const variant = () => {
    variantSynth ??= synthPbx({
      mailHostedZoneId: "Z0123456789ABCDEFGHIJ",
      notifierReservedConcurrency: "none",
      listenerImage: CI_IMAGE,
    });
    return variantSynth;
  };

  beforeAll(() => {
    dev = synthPbx();
    prod = synthPbx({ stage: "prod", mailDomain: "pbx.example.net" });
    devData = Template.fromStack(dev.data);
    prodData = Template.fromStack(prod.data);
    mail = Template.fromStack(dev.mail);
    api = Template.fromStack(dev.api);
    apiResources = api.toJSON().Resources as Resources;
  }, SLOW.timeout);

  describe("app", () => {
    it("names every stack CloudPbx-<stage>-<part>, dev by default", () => {
      expect(dev.stacks.map((s) => s.stackName)).toEqual([
        "CloudPbx-dev-Data",
        "CloudPbx-dev-Mail",
        "CloudPbx-dev-Api",
        "CloudPbx-dev-Listener",
        "CloudPbx-dev-Web",
      ]);
      expect(prod.stacks.map((s) => s.stackName)).toEqual([
        "CloudPbx-prod-Data",
        "CloudPbx-prod-Mail",
        "CloudPbx-prod-Api",
        "CloudPbx-prod-Listener",
        "CloudPbx-prod-Web",
      ]);
      // Everything `cdk deploy --all` deploys is built here.
      expect(dev.assembly.stacks.map((s) => s.stackName).sort()).toEqual(dev.stacks.map((s) => s.stackName).sort());
    });

    it("is environment-agnostic, so synth needs no credentials and does no lookups", () => {
      for (const stack of [...dev.stacks, ...prod.stacks]) {
        expect(stack.environment).toBe("aws://unknown-account/unknown-region");
      }
      expect(dev.app.node.tryGetContext("stage")).toBe("dev");
    });

    it("reads stage options from context and rejects bad ones", () => {
      // Prepare
      const config = (context: Record<string, unknown>) => readStageConfig(new App({ context }).node);

      // Act / Assess
      expect(config({}).protectData).toBe(false);
      expect(config({ stage: "prod" })).toMatchObject({ protectData: true, removalPolicy: RemovalPolicy.RETAIN });
      expect(config({ stage: "staging", protectData: "true" }).protectData).toBe(true);
      expect(config({ mailDomain: "mail.example.org" }).mailFromAddress).toBe("pbx@mail.example.org");
      expect(() => config({ stage: "Prod!" })).toThrow(/stage/);
      expect(() => config({ mailDomain: "not a domain" })).toThrow(/mailDomain/);
      expect(() => config({ accessTokenTtlSeconds: "soon" })).toThrow(/accessTokenTtlSeconds/);
    });

    it("reads the public URLs, token lifetimes and event retention, with defaults per stage", () => {
      // Prepare
      const config = (context: Record<string, unknown>) => readStageConfig(new App({ context }).node);

      // Act / Assess
      expect(config({ stage: "prod" })).toMatchObject({
        publicWebUrl: "https://prod.pbx.example.com",
        publicSipHost: "sip.prod.pbx.example.com",
        accessTokenTtlSeconds: 1800,
        refreshTokenTtlSeconds: 7 * 86400,
        sessionMaxAgeSeconds: 90 * 86400,
        quickLoginTtlSeconds: 7 * 86400,
        eventRetentionDays: 90,
        notifierReservedConcurrency: 2,
      });
      expect(
        config({
          publicWebUrl: "https://pbx.example.org/app/",
          publicSipHost: "203.0.113.10",
          refreshTokenTtlSeconds: "3600",
          eventRetentionDays: 30,
        }),
      ).toMatchObject({
        publicWebUrl: "https://pbx.example.org/app",
        publicSipHost: "203.0.113.10",
        refreshTokenTtlSeconds: 3600,
        eventRetentionDays: 30,
      });
      expect(config({ notifierReservedConcurrency: "none" }).notifierReservedConcurrency).toBeUndefined();
      expect(config({ notifierReservedConcurrency: "5" }).notifierReservedConcurrency).toBe(5);
      expect(() => config({ publicWebUrl: "pbx.example.org" })).toThrow(/publicWebUrl/);
      expect(() => config({ publicWebUrl: "ftp://pbx.example.org" })).toThrow(/publicWebUrl/);
      expect(() => config({ publicSipHost: "sip host" })).toThrow(/publicSipHost/);
      expect(() => config({ eventRetentionDays: 1.5 })).toThrow(/eventRetentionDays/);
      expect(() => config({ quickLoginTtlSeconds: 0 })).toThrow(/quickLoginTtlSeconds/);
      expect(() => config({ refreshTokenTtlSeconds: 60 })).toThrow(/refreshTokenTtlSeconds/);
      expect(() => config({ sessionMaxAgeSeconds: 3600 })).toThrow(/sessionMaxAgeSeconds/);
    });
  });

  describe("DataStack", () => {
    it("builds the table from layers/core/table.ts", () => {
      devData.resourceCountIs("AWS::DynamoDB::Table", 1);
      devData.hasResourceProperties("AWS::DynamoDB::Table", {
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
          { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
        ],
        AttributeDefinitions: Match.arrayWith(
          [TABLE.partitionKey, TABLE.sortKey].map((name) => ({ AttributeName: name, AttributeType: "S" })),
        ),
        GlobalSecondaryIndexes: TABLE.indexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: "HASH" },
            { AttributeName: index.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        })),
        TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
      });
    });

    it("is on-demand, point-in-time recoverable, encrypted and streams new and old images", () => {
      devData.hasResourceProperties("AWS::DynamoDB::Table", {
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
      });
    });

    it("is disposable in dev", () => {
      devData.hasResource("AWS::DynamoDB::Table", {
        DeletionPolicy: "Delete",
        UpdateReplacePolicy: "Delete",
        Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      });
      expect(dev.data.terminationProtection).toBe(false);
    });

    it("is protected and retained in prod, with its secrets", () => {
      prodData.hasResource("AWS::DynamoDB::Table", {
        DeletionPolicy: "Retain",
        UpdateReplacePolicy: "Retain",
        Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      });
      prodData.allResources("AWS::SecretsManager::Secret", { DeletionPolicy: "Retain" });
      expect(prod.data.terminationProtection).toBe(true);
    });

    it("generates the master key, the cursor key, the platform key and CloudFront's origin secret (32+ characters)", () => {
      const secrets = devData.findResources("AWS::SecretsManager::Secret");
      expect(
        Object.keys(secrets)
          .map((id) => id.replace(/[A-F0-9]{8}$/, ""))
          .sort(),
      ).toEqual(["CursorKey", "MasterKey", "OriginSecret", "PlatformKey"]);
      for (const secret of Object.values(secrets)) {
        const generate = secret.Properties.GenerateSecretString as { PasswordLength: number };
        expect(generate.PasswordLength).toBeGreaterThanOrEqual(32);
      }
    });
  });

  describe("MailStack", () => {
    it("verifies the mail domain from context (example.com by default) with DKIM", () => {
      mail.hasResourceProperties("AWS::SES::EmailIdentity", {
        EmailIdentity: "example.com",
        DkimAttributes: { SigningEnabled: true },
        ConfigurationSetAttributes: { ConfigurationSetName: { Ref: Match.anyValue() } },
      });
      Template.fromStack(prod.mail).hasResourceProperties("AWS::SES::EmailIdentity", {
        EmailIdentity: "pbx.example.net",
      });
    });

    it("sends through a configuration set with reputation metrics, sending enabled and TLS required", () => {
      mail.hasResourceProperties("AWS::SES::ConfigurationSet", {
        ReputationOptions: { ReputationMetricsEnabled: true },
        SendingOptions: { SendingEnabled: true },
        DeliveryOptions: { TlsPolicy: "REQUIRE" },
      });
    });

    it("prints the DKIM records, or creates them when given the hosted zone", () => {
      // Prepare / Act
      const withZone = variant();

      // Assess
      expect(Object.keys(mail.findOutputs("*")).filter((id) => id.startsWith("DkimRecord"))).toHaveLength(3);
      mail.resourceCountIs("AWS::Route53::RecordSet", 0);
      Template.fromStack(withZone.mail).resourceCountIs("AWS::Route53::RecordSet", 3);
    });

    it("exposes the from address to the functions", () => {
      expect(dev.mail.fromAddress).toBe("pbx@example.com");
      expect(prod.mail.fromAddress).toBe("pbx@pbx.example.net");
    });
  });

  describe("functions", () => {
    it("deploys one function per route group plus the authorizer and the notifier", () => {
      api.resourceCountIs("AWS::Lambda::Function", FUNCTION_GROUPS.length + 2);
      expect([...SUPPORT_FUNCTIONS].sort()).toEqual(["authorizer", "notifier"]);
      expect(functionEntries.map((e) => e.name).sort()).toEqual([...FUNCTION_GROUPS, ...SUPPORT_FUNCTIONS].sort());
      expect(functionEntries.find((e) => e.name === "notifier")?.entry).toBe("functions/notifier.ts");
      const groupsWithRoutes = new Set((routeList as readonly RouteContract[]).map((r) => r.group));
      expect([...groupsWithRoutes].sort()).toEqual([...FUNCTION_GROUPS].sort());
    });

    it.each(functionEntries.map((e) => e.name))(
      "%s runs nodejs22.x on arm64 with active tracing and its own log group",
      (name) => {
        const fn = dev.api.functions[name];
        const resource = apiResources[logicalId(dev.api, fn)];
        expect(resource?.Properties).toMatchObject({
          Runtime: "nodejs22.x",
          Architectures: ["arm64"],
          Handler: "index.handler",
          TracingConfig: { Mode: "Active" },
          LoggingConfig: { LogGroup: { Ref: logicalId(dev.api, fn.logGroup) } },
          MemorySize: FUNCTION_ACCESS[name].memorySize,
          Timeout: FUNCTION_ACCESS[name].timeout.toSeconds(),
        });
        expect(apiResources[logicalId(dev.api, fn.logGroup)]?.Properties).toMatchObject({
          RetentionInDays: RetentionDays.ONE_MONTH,
        });
      },
    );

    it.each(functionEntries.map((e) => e.name))("%s gets the config.ts environment variables", (name) => {
      const fn = dev.api.functions[name];
      const { Environment } = propertiesOf(apiResources, logicalId(dev.api, fn)) as {
        Environment: { Variables: Record<string, unknown> };
      };
      const variables = Environment.Variables;
      const access = FUNCTION_ACCESS[name];
      expect(variables).toMatchObject({
        NODE_OPTIONS: "--enable-source-maps",
        [ENV.accessTokenTtl]: "1800",
        [ENV.refreshTokenTtl]: String(7 * 86400),
        [ENV.sessionMaxAge]: String(90 * 86400),
        [ENV.quickLoginTtl]: String(7 * 86400),
        [ENV.eventRetentionDays]: "90",
        [ENV.publicWebUrl]: "https://dev.pbx.example.com",
        [ENV.publicSipHost]: "sip.dev.pbx.example.com",
        [ENV.mailFrom]: "pbx@example.com",
      });
      expect(variables).toHaveProperty(ENV.tableName);
      expect(variables).toHaveProperty(ENV.sesConfigurationSet);
      expect(ENV.masterKeySecretArn in variables).toBe(access.masterKey);
      expect(ENV.platformKeySecretArn in variables).toBe(access.platformKey);
      expect(ENV.cursorKeySecretArn in variables).toBe(access.cursorKey === true);
      expect(ENV.originSecretArn in variables).toBe(access.originSecret === true);
      // The raw keys never travel in the environment in AWS.
      expect(variables).not.toHaveProperty(ENV.masterKey);
      expect(variables).not.toHaveProperty(ENV.platformKey);
    });

    it.each(functionEntries.map((e) => e.name))("%s holds only the permissions its access entry grants", (name) => {
      // Prepare
      const fn = dev.api.functions[name];
      const statements = statementsOfRole(apiResources, logicalId(dev.api, fn.role as IConstruct));
      const actions = actionsOf(statements);
      const secretResources = JSON.stringify(
        statements.filter((s) => actionsOf([s]).includes("secretsmanager:GetSecretValue")).map((s) => s.Resource),
      );
      const access = FUNCTION_ACCESS[name];

      // Assess
      expect(actions).not.toContain("dynamodb:Scan");
      expect(actions.some((a) => a.endsWith(":*"))).toBe(false);
      expect(actions.includes("dynamodb:Query")).toBe(access.table !== "none");
      expect(actions.includes("dynamodb:PutItem")).toBe(access.table === "readWrite");
      expect(secretResources.includes("MasterKey")).toBe(access.masterKey);
      expect(secretResources.includes("PlatformKey")).toBe(access.platformKey);
      expect(secretResources.includes("CursorKey")).toBe(access.cursorKey === true);
      expect(secretResources.includes("OriginSecret")).toBe(access.originSecret === true);
      expect(actions.some((a) => a.startsWith("ses:"))).toBe(access.ses);
    });

    it("lets only the extensions function and the notifier send email, from the mail identity only", () => {
      // Prepare
      const policies = Object.values(apiResources).filter((r) => r.Type === "AWS::IAM::Policy");
      const sesStatements = policies.flatMap((r) => {
        const props = r.Properties as { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } };
        return props.PolicyDocument.Statement.filter((s) => actionsOf([s]).some((a) => a.startsWith("ses:"))).map(
          (statement) => ({ roles: props.Roles.map((role) => role.Ref), statement }),
        );
      });
      const roleOf = (name: "extensions" | "notifier") =>
        logicalId(dev.api, dev.api.functions[name].role as IConstruct);

      // Assess
      expect(sesStatements.flatMap((s) => s.roles).sort()).toEqual([roleOf("extensions"), roleOf("notifier")].sort());
      expect([...SES_SEND_ACTIONS].sort()).toEqual(["ses:SendEmail"]);
      expect(functionEntries.filter((e) => FUNCTION_ACCESS[e.name].ses).map((e) => e.name)).toEqual([
        "extensions",
        "notifier",
      ]);
      for (const { statement } of sesStatements) {
        expect(statement.Effect).toBe("Allow");
        expect([statement.Action].flat().sort()).toEqual([...SES_SEND_ACTIONS].sort());
        const resources = JSON.stringify(statement.Resource);
        expect(Array.isArray(statement.Resource)).toBe(true);
        expect(statement.Resource).toHaveLength(3);
        expect(resources).not.toMatch(/"\*"|identity\/\*|configuration-set\/\*/);
        expect(resources).toContain(":identity/example.com");
        expect(resources).toContain(":identity/pbx@example.com");
        expect(resources).toMatch(/:configuration-set\/".*ConfigurationSet/);
      }
    });

    it("lets only the functions that read the caller's IP read CloudFront's origin secret", () => {
      const readers = functionEntries.filter((e) => FUNCTION_ACCESS[e.name].originSecret).map((e) => e.name);
      expect(readers.sort()).toEqual(["auth", "extensions", "tenant"]);
    });

    it("keeps the authorizer read-only and lets only the authorizer read the platform key", () => {
      expect(FUNCTION_ACCESS.authorizer).toMatchObject({ table: "read", masterKey: true, platformKey: true });
      expect(FUNCTION_ACCESS.platform).toMatchObject({ table: "readWrite", masterKey: true, platformKey: false });
      const platformKeyReaders = functionEntries.filter((e) => FUNCTION_ACCESS[e.name].platformKey).map((e) => e.name);
      expect(platformKeyReaders).toEqual(["authorizer"]);
    });

    it("keeps the master key from the contacts and records groups, which seal nothing", () => {
      for (const name of ["contacts", "records"] as const) {
        expect(FUNCTION_ACCESS[name]).toMatchObject({ table: "readWrite", masterKey: false, platformKey: false });
      }
    });

    it("gives the security and events groups the table and the master key, never the platform key", () => {
      for (const name of ["security", "events"] as const) {
        expect(FUNCTION_ACCESS[name]).toMatchObject({ table: "readWrite", masterKey: true, platformKey: false });
      }
      expect(FUNCTION_ACCESS.auth.table).toBe("readWrite");
    });

    it("targets the runtime's Node.js major with esbuild", () => {
      expect(RUNTIME.name).toBe(`nodejs${NODE_MAJOR}.x`);
      expect(esbuildOptions.target).toBe(`node${NODE_MAJOR}`);
    });

    it("merges the caller's environment with the defaults instead of dropping either", () => {
      // Prepare
      const app = new App({ context: { ...cdkJsonContext, "aws:cdk:bundling-stacks": [] } });
      const stack = new Stack(app, "PbxFunctionTest");

      // Act
      new PbxFunction(stack, "Fn", {
        entry: "functions/meta.ts",
        environment: { FOO: "bar", NODE_OPTIONS: "--max-old-space-size=256" },
        logRetention: RetentionDays.ONE_WEEK,
        logRemovalPolicy: RemovalPolicy.DESTROY,
      });

      // Assess
      Template.fromStack(stack).hasResourceProperties("AWS::Lambda::Function", {
        Environment: {
          Variables: {
            FOO: "bar",
            NODE_OPTIONS: "--enable-source-maps --max-old-space-size=256",
            POWERTOOLS_SERVICE_NAME: "cloud-pbx",
            LOG_LEVEL: "INFO",
          },
        },
      });
    });
  });

  describe("notifier", () => {
    const notifierId = () => logicalId(dev.api, dev.api.functions.notifier);
    const queueId = () => logicalId(dev.api, dev.api.notifierFailures);
    const ofType = (type: string) => Object.values(apiResources).filter((r) => r.Type === type);

    it("reads the table and sends mail, but no secret, with a bounded concurrency", () => {
      expect(FUNCTION_ACCESS.notifier).toMatchObject({
        table: "readWrite",
        masterKey: false,
        platformKey: false,
        ses: true,
      });
      expect(propertiesOf(apiResources, notifierId())).toMatchObject({ ReservedConcurrentExecutions: 2 });
    });

    it("is triggered by new outbox items and import jobs on the table's stream, with retries and an on-failure queue", () => {
      // Act
      const mappings = ofType("AWS::Lambda::EventSourceMapping");

      // Assess
      expect(mappings).toHaveLength(1);
      const mapping = mappings[0] as Resources[string] & { DependsOn?: string[] };
      const props = mapping.Properties as Record<string, unknown>;
      expect(props).toMatchObject({
        FunctionName: { Ref: notifierId() },
        StartingPosition: "LATEST",
        BatchSize: 25,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 3,
        MaximumRecordAgeInSeconds: 900,
        DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queueId(), "Arn"] } } },
      });
      expect(JSON.stringify(props.EventSourceArn)).toMatch(/StreamArn/);
      // The handler does not return batchItemFailures, so partial batch responses stay off.
      expect(props.FunctionResponseTypes).toBeUndefined();
      const filters = (props.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
      expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
        { eventName: ["INSERT"], dynamodb: { NewImage: { type: { S: ["outbox", "importJob"] } } } },
        { eventName: ["INSERT", "MODIFY"], dynamodb: { Keys: { SK: { S: ["FEEDSEQ#contacts"] } } } },
      ]);
      // Created only once the role may read the stream.
      expect(mapping.DependsOn).toEqual(
        expect.arrayContaining([logicalId(dev.api, dev.api.functions.notifier.role as IConstruct)]),
      );
    });

    it("reads only the table's stream, and lists streams from a policy of its own", () => {
      // Prepare
      const roleId = logicalId(dev.api, dev.api.functions.notifier.role as IConstruct);
      const statements = statementsOfRole(apiResources, roleId);

      // Act
      const streamRead = statements.find((s) => actionsOf([s]).includes("dynamodb:GetRecords"));
      const listStreams = Object.values(apiResources).filter(
        (r) => r.Type === "AWS::IAM::Policy" && JSON.stringify(r.Properties).includes("dynamodb:ListStreams"),
      );

      // Assess
      expect(actionsOf(streamRead ? [streamRead] : []).sort()).toEqual([
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
      ]);
      expect(JSON.stringify(streamRead?.Resource)).toMatch(/StreamArn/);
      expect(listStreams).toHaveLength(1);
      expect(listStreams[0]?.Properties).toMatchObject({
        PolicyDocument: { Statement: [{ Action: "dynamodb:ListStreams", Effect: "Allow", Resource: "*" }] },
        Roles: [{ Ref: roleId }],
      });
      // No other function consumes the stream.
      for (const { name } of functionEntries.filter((e) => e.name !== "notifier")) {
        const role = logicalId(dev.api, dev.api.functions[name].role as IConstruct);
        expect(actionsOf(statementsOfRole(apiResources, role)).some((a) => /^dynamodb:.*Stream/.test(a))).toBe(false);
      }
    });

    it("runs every minute from an EventBridge schedule", () => {
      // Act
      const rules = ofType("AWS::Events::Rule");

      // Assess
      expect(rules).toHaveLength(1);
      expect(rules[0]?.Properties).toMatchObject({
        ScheduleExpression: "rate(1 minute)",
        State: "ENABLED",
        Targets: [{ Arn: { "Fn::GetAtt": [notifierId(), "Arn"] } }],
      });
      api.hasResourceProperties("AWS::Lambda::Permission", {
        Action: "lambda:InvokeFunction",
        Principal: "events.amazonaws.com",
        FunctionName: { "Fn::GetAtt": [notifierId(), "Arn"] },
      });
    });

    it("keeps failed scheduled runs in the same queue instead of retrying them", () => {
      expect(propertiesOf(apiResources, notifierId())).toMatchObject({
        DeadLetterConfig: { TargetArn: { "Fn::GetAtt": [queueId(), "Arn"] } },
      });
      api.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
        FunctionName: { Ref: notifierId() },
        MaximumRetryAttempts: 0,
      });
    });

    it("keeps failures in an encrypted queue that refuses plain HTTP", () => {
      expect(propertiesOf(apiResources, queueId())).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 86400,
      });
      api.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [{ Ref: queueId() }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
      expect(Object.keys(api.findOutputs("NotifierFailuresQueueUrl"))).toHaveLength(1);
    });

    it("is not behind the API: no method integrates the notifier or the authorizer", () => {
      const methods = JSON.stringify(ofType("AWS::ApiGateway::Method"));
      for (const name of SUPPORT_FUNCTIONS) {
        expect(methods).not.toContain(`"${logicalId(dev.api, dev.api.functions[name])}"`);
      }
    });

    it("can leave its concurrency unreserved", () => {
      // Act
      const unreserved = variant();
      const resources = Template.fromStack(unreserved.api).toJSON().Resources as Resources;

      // Assess
      const props = propertiesOf(resources, logicalId(unreserved.api, unreserved.api.functions.notifier));
      expect(props.ReservedConcurrentExecutions).toBeUndefined();
    });
  });

  describe("ApiStack", () => {
    it("is a regional REST API without CORS", () => {
      api.hasResourceProperties("AWS::ApiGateway::RestApi", { EndpointConfiguration: { Types: ["REGIONAL"] } });
      const methods = Object.values(apiResources).filter((r) => r.Type === "AWS::ApiGateway::Method");
      expect(methods.some((m) => (m.Properties as { HttpMethod: string }).HttpMethod === "OPTIONS")).toBe(false);
    });

    it("passes contact files through as bytes (CSV, vCard, multipart uploads), nothing else", () => {
      api.hasResourceProperties("AWS::ApiGateway::RestApi", {
        BinaryMediaTypes: ["multipart/form-data", "text/csv", "text/vcard", "text/x-vcard"],
      });
    });

    it("has exactly one method per route in the route table", () => {
      api.resourceCountIs("AWS::ApiGateway::Method", routeList.length);
    });

    it.each((routeList as readonly RouteContract[]).map((route) => [route.id, route] as const))(
      "%s: right path, method, function and authorization",
      (_id, route) => {
        // Prepare
        const paths = resourcePaths(apiResources);
        const authorizerId = logicalId(dev.api, dev.api.authorizer);
        const functionId = logicalId(dev.api, dev.api.functions[route.group]);

        // Act
        const matches = Object.values(apiResources).filter((r) => {
          const props = r.Properties as { HttpMethod?: string; ResourceId?: { Ref?: string } } | undefined;
          return (
            r.Type === "AWS::ApiGateway::Method" &&
            props?.HttpMethod === route.method &&
            paths.get(props.ResourceId?.Ref ?? "") === route.path
          );
        });

        // Assess
        expect(matches).toHaveLength(1);
        const props = matches[0]?.Properties as Record<string, unknown>;
        expect(props.OperationName).toBe(route.id);
        expect(JSON.stringify(props.Integration)).toContain(`"${functionId}"`);
        expect((props.Integration as { Type: string }).Type).toBe("AWS_PROXY");
        if (route.auth.kind === "public") {
          expect(props.AuthorizationType).toBe("NONE");
          expect(props.AuthorizerId).toBeUndefined();
        } else {
          expect(props.AuthorizationType).toBe("CUSTOM");
          expect(props.AuthorizerId).toEqual({ Ref: authorizerId });
        }
        for (const [, name] of route.path.matchAll(/\{([^}]+)\}/g)) {
          expect(props.RequestParameters).toHaveProperty([`method.request.path.${name}`], true);
        }
      },
    );

    it("authorizes with a REQUEST authorizer on the Authorization header and no result cache", () => {
      api.resourceCountIs("AWS::ApiGateway::Authorizer", 1);
      api.hasResourceProperties("AWS::ApiGateway::Authorizer", {
        Type: "REQUEST",
        IdentitySource: "method.request.header.Authorization",
        AuthorizerResultTtlInSeconds: 0,
      });
      const authorizer = Object.values(apiResources).find((r) => r.Type === "AWS::ApiGateway::Authorizer");
      expect(JSON.stringify(authorizer?.Properties)).toContain(logicalId(dev.api, dev.api.functions.authorizer));
    });

    it("answers 401 and 403 from the gateway in JSON", () => {
      api.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
        ResponseType: "UNAUTHORIZED",
        StatusCode: "401",
        ResponseTemplates: {
          "application/json": '{"error":"unauthorized","message":"Missing or invalid credentials"}',
        },
      });
      api.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
        ResponseType: "ACCESS_DENIED",
        StatusCode: "403",
        ResponseTemplates: { "application/json": Match.stringLikeRegexp("\\$context\\.authorizer\\.reason") },
      });
      const bodies = Object.values(apiResources)
        .filter((r) => r.Type === "AWS::ApiGateway::GatewayResponse")
        .map(
          (r) => (r.Properties as { ResponseTemplates: Record<string, string> }).ResponseTemplates["application/json"],
        );
      for (const body of bodies) {
        // Valid JSON once API Gateway has substituted its variables.
        const substituted = String(body)
          .replace(/\$context\.error\.messageString/g, '"x"') // a quoted string already
          .replace(/\$context\.[\w.]+/g, "x");
        expect(() => JSON.parse(substituted), String(body)).not.toThrow();
      }
    });

    it("logs access and errors (never bodies), traces and throttles the stage", () => {
      api.hasResourceProperties("AWS::ApiGateway::Stage", {
        StageName: "dev",
        TracingEnabled: true,
        AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp("requestId") },
        MethodSettings: [
          Match.objectLike({
            HttpMethod: "*",
            ResourcePath: "/*",
            LoggingLevel: "ERROR",
            DataTraceEnabled: false,
            MetricsEnabled: true,
            ThrottlingRateLimit: 100,
            ThrottlingBurstLimit: 200,
          }),
        ],
      });
    });

    it("validates request parameters on every method", () => {
      api.hasResourceProperties("AWS::ApiGateway::RequestValidator", {
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      const validators = Object.keys(api.findResources("AWS::ApiGateway::RequestValidator"));
      for (const method of Object.values(api.findResources("AWS::ApiGateway::Method"))) {
        expect(method.Properties.RequestValidatorId).toEqual({ Ref: validators[0] });
      }
    });

    it("puts a WAF web ACL with managed rules and per-IP rate limits in front of the stage", () => {
      api.hasResourceProperties("AWS::WAFv2::WebACL", {
        Scope: "REGIONAL",
        DefaultAction: { Allow: {} },
        Rules: Match.arrayWith([
          Match.objectLike({
            Name: "AWSManagedRulesCommonRuleSet",
            Statement: { ManagedRuleGroupStatement: Match.objectLike({ VendorName: "AWS" }) },
          }),
        ]),
      });
      api.resourceCountIs("AWS::WAFv2::WebACLAssociation", 1);
      const association = Object.values(apiResources).find((r) => r.Type === "AWS::WAFv2::WebACLAssociation");
      expect(JSON.stringify(association?.Properties)).toMatch(/\/stages\/.*dev/);
    });

    it("limits CloudFront's requests per viewer IP and every other request per connection IP", () => {
      // Prepare
      const [acl] = Object.values(api.findResources("AWS::WAFv2::WebACL"));
      type RateRule = {
        Name: string;
        Action: unknown;
        Statement: {
          RateBasedStatement: {
            Limit: number;
            AggregateKeyType: string;
            CustomKeys?: unknown;
            ScopeDownStatement: unknown;
          };
        };
      };
      const rules = ((acl?.Properties ?? { Rules: [] }) as { Rules: RateRule[] }).Rules.filter(
        (r) => r.Statement.RateBasedStatement,
      );
      const rule = (name: string) => rules.find((r) => r.Name === name)?.Statement.RateBasedStatement;
      const secretMatch = {
        ByteMatchStatement: {
          FieldToMatch: { SingleHeader: { Name: ORIGIN_SECRET_HEADER } },
          PositionalConstraint: "EXACTLY",
          SearchString: Match.anyValue(),
          TextTransformations: [{ Priority: 0, Type: "NONE" }],
        },
      };
      const perViewer = [
        { Header: { Name: VIEWER_ADDRESS_HEADER, TextTransformations: [{ Priority: 0, Type: "NONE" }] } },
      ];

      // Assess
      expect(rules.map((r) => r.Name)).toEqual(["LoginRatePerIp", "LoginRatePerViewer", "RatePerIp", "RatePerViewer"]);
      for (const r of rules) expect(r.Action).toEqual({ Block: {} });
      expect(rule("RatePerIp")).toMatchObject({ Limit: 3000, AggregateKeyType: "IP" });
      expect(rule("RatePerViewer")).toMatchObject({
        Limit: 3000,
        AggregateKeyType: "CUSTOM_KEYS",
        CustomKeys: perViewer,
      });
      expect(rule("LoginRatePerIp")).toMatchObject({ Limit: 100, AggregateKeyType: "IP" });
      expect(rule("LoginRatePerViewer")).toMatchObject({
        Limit: 100,
        AggregateKeyType: "CUSTOM_KEYS",
        CustomKeys: perViewer,
      });
      expect(Match.objectLike(secretMatch).test(rule("RatePerViewer")?.ScopeDownStatement).isSuccess).toBe(true);
      // The secret is a dynamic reference to the Data stack's secret, never its value.
      const searched = JSON.stringify(rule("RatePerViewer")?.ScopeDownStatement);
      expect(searched).toContain("{{resolve:secretsmanager:");
      expect(searched).toContain("OriginSecret");
      expect(JSON.stringify(rule("RatePerIp")?.ScopeDownStatement)).toBe(
        JSON.stringify({ NotStatement: { Statement: rule("RatePerViewer")?.ScopeDownStatement } }),
      );
      const loginViewer = JSON.stringify(rule("LoginRatePerViewer")?.ScopeDownStatement);
      expect(loginViewer).toContain("/api/v1/auth/login");
      expect(loginViewer).toContain(searched);
    });
  });

  describe("ListenerStack", () => {
    let listener: Template;
    let listenerResources: Resources;
    const ofType = (type: string) => Object.entries(listenerResources).filter(([, r]) => r.Type === type);
    /** The one resource of this type, as [logical id, resource]. */
    const single = (type: string) => {
      const [found, ...more] = ofType(type);
      if (!found || more.length > 0) throw new Error(`Expected one ${type}, found ${more.length + (found ? 1 : 0)}`);
      return found;
    };

    beforeAll(() => {
      listener = Template.fromStack(dev.listener);
      listenerResources = listener.toJSON().Resources as Resources;
    });

    it("runs on the Data stack's table and master key secret, with the stage's public SIP host", () => {
      const [, task] = single("AWS::ECS::TaskDefinition");
      const { ContainerDefinitions } = task.Properties as {
        ContainerDefinitions: { Environment: { Name: string; Value: unknown }[] }[];
      };
      expect(ContainerDefinitions).toHaveLength(1);
      const environment = Object.fromEntries(
        (ContainerDefinitions[0]?.Environment ?? []).map((v) => [v.Name, v.Value]),
      );
      expect(environment).toMatchObject({
        [ENV.publicSipHost]: "sip.dev.pbx.example.com",
        SIP_PORT: "5060",
        LINKUS_PORT: "8111",
        HEALTH_PORT: "8080",
      });
      expect(JSON.stringify(environment[ENV.tableName])).toMatch(/"Fn::ImportValue":"CloudPbx-dev-Data:/);
      expect(JSON.stringify(environment[ENV.masterKeySecretArn])).toMatch(/"Fn::ImportValue":"CloudPbx-dev-Data:/);
      expect(environment).not.toHaveProperty(ENV.masterKey);
      expect(environment).not.toHaveProperty(ENV.platformKeySecretArn);
    });

    it("builds the Dockerfile for arm64 at deploy time; synth only stages the build context", () => {
      // Prepare
      const manifest = JSON.parse(
        readFileSync(join(dev.assembly.directory, `${dev.listener.stackName}.assets.json`), "utf8"),
      ) as { dockerImages: Record<string, { source: { directory: string; platform?: string } }> };

      // Act
      const images = Object.values(manifest.dockerImages);
      const staged = join(dev.assembly.directory, images[0]?.source.directory ?? "");

      // Assess
      expect(images).toHaveLength(1);
      expect(images[0]?.source.platform).toBe("linux/arm64");
      expect(readdirSync(staged).sort()).toEqual(
        expect.arrayContaining(["Dockerfile", "layers", "listener", "package-lock.json", "package.json"]),
      );
      // .dockerignore keeps the context small: no dependencies, no cdk.out, no tests.
      for (const excluded of ["node_modules", "cdk.out", "test", "infra", ".git"]) {
        expect(readdirSync(staged)).not.toContain(excluded);
      }
      listener.hasResourceProperties("AWS::ECS::TaskDefinition", {
        RuntimePlatform: { CpuArchitecture: "ARM64", OperatingSystemFamily: "LINUX" },
      });
    });

    it("lets the execution role pull from the asset repository and write its log group, nothing more", () => {
      // Prepare
      const [, task] = single("AWS::ECS::TaskDefinition");
      const roleRef = (task.Properties as { ExecutionRoleArn: { "Fn::GetAtt": [string, string] } }).ExecutionRoleArn;
      const roleId = roleRef["Fn::GetAtt"][0];
      const policies = ofType("AWS::IAM::Policy").filter(([, r]) =>
        JSON.stringify((r.Properties as { Roles: unknown }).Roles).includes(`"${roleId}"`),
      );
      const statements = policies.flatMap(
        ([, r]) => (r.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
      );
      const tokenPolicies = policies.filter(([, r]) => JSON.stringify(r.Properties).includes("GetAuthorizationToken"));

      // Assess
      expect(actionsOf(statements).sort()).toEqual([
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetAuthorizationToken",
        "ecr:GetDownloadUrlForLayer",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
      ]);
      for (const statement of statements.filter((s) => actionsOf([s]).some((a) => a !== "ecr:GetAuthorizationToken"))) {
        expect(statement.Resource).not.toBe("*");
      }
      expect(JSON.stringify(statements.find((s) => actionsOf([s]).includes("ecr:BatchGetImage"))?.Resource)).toMatch(
        /:repository\/.*container-assets/,
      );
      // The login token, the only wildcard, sits alone in a policy of its own.
      expect(tokenPolicies).toHaveLength(1);
      expect(tokenPolicies[0]?.[1].Properties).toMatchObject({
        PolicyDocument: { Statement: [{ Action: "ecr:GetAuthorizationToken", Effect: "Allow", Resource: "*" }] },
      });
      // No task starts before the execution role holds these policies.
      const [, service] = single("AWS::ECS::Service");
      expect(service.DependsOn).toEqual(expect.arrayContaining([roleId, ...policies.map(([id]) => id)]));
    });

    it("admits the internet at the NLB only, on the SIP and Linkus ports; the tasks only from the NLB", () => {
      // Prepare
      const [, nlb] = single("AWS::ElasticLoadBalancingV2::LoadBalancer");
      const [nlbGroup] = (nlb.Properties as { SecurityGroups: { "Fn::GetAtt": [string, string] }[] }).SecurityGroups;
      const nlbSgId = nlbGroup?.["Fn::GetAtt"][0] ?? "";
      const nlbSg = propertiesOf(listenerResources, nlbSgId);
      // The media relay's own group (its rules: test/infra/media-relay.test.ts) is not the tasks'.
      const relaySgIds = ofType("AWS::EC2::SecurityGroup")
        .filter(([, group]) => /rtpengine/.test(String(group.Properties?.GroupDescription)))
        .map(([id]) => id);
      const taskIngress = ofType("AWS::EC2::SecurityGroupIngress")
        .map(([, r]) => r.Properties as Record<string, unknown>)
        .filter((rule) => !relaySgIds.includes((rule.GroupId as { "Fn::GetAtt": string[] })["Fn::GetAtt"][0] ?? ""));
      const open = (nlbSg as { SecurityGroupIngress: Record<string, unknown>[] }).SecurityGroupIngress;

      // Assess
      expect(nlb.Properties).toMatchObject({ Scheme: "internet-facing", Type: "network" });
      expect(nlbGroup).toBeDefined();
      expect(open.map((rule) => `${rule.IpProtocol}/${rule.FromPort}-${rule.ToPort} ${rule.CidrIp}`).sort()).toEqual([
        "icmp/3-4 0.0.0.0/0",
        "tcp/5060-5060 0.0.0.0/0",
        "tcp/8111-8111 0.0.0.0/0",
        "udp/5060-5060 0.0.0.0/0",
      ]);
      expect(relaySgIds).toHaveLength(1);
      for (const [, group] of ofType("AWS::EC2::SecurityGroup").filter(
        ([id]) => id !== nlbSgId && !relaySgIds.includes(id),
      )) {
        expect(JSON.stringify(group.Properties)).not.toMatch(/SecurityGroupIngress/);
      }
      expect(taskIngress.map((rule) => `${rule.IpProtocol}/${rule.FromPort}`).sort()).toEqual([
        "tcp/5060",
        "tcp/8080",
        "tcp/8111",
        "udp/5060",
      ]);
      for (const rule of taskIngress) {
        expect(rule.SourceSecurityGroupId).toEqual({ "Fn::GetAtt": [nlbSgId, "GroupId"] });
      }
    });

    it("runs a CI-built image from -c listenerImage instead, pulling from its ECR repository only", () => {
      // Prepare / Act
      const image = CI_IMAGE;
      const withImage = variant();
      const template = Template.fromStack(withImage.listener);
      const manifest = JSON.parse(
        readFileSync(join(withImage.assembly.directory, `${withImage.listener.stackName}.assets.json`), "utf8"),
      ) as { dockerImages?: Record<string, unknown> };

      // Assess
      expect(Object.keys(manifest.dockerImages ?? {})).toHaveLength(0);
      template.hasResourceProperties("AWS::ECS::TaskDefinition", {
        ContainerDefinitions: [Match.objectLike({ Image: image })],
      });
      template.hasResourceProperties("AWS::IAM::Policy", {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
              Resource: {
                "Fn::Join": [
                  "",
                  ["arn:", { Ref: "AWS::Partition" }, ":ecr:eu-west-1:123456789012:repository/cloud-pbx/listener"],
                ],
              },
            }),
          ]),
        },
      });
      expect(() => synthPbx({ listenerImage: "not an image" })).toThrow(/listenerImage/);
    });
  });
});

describe("bundles", SLOW, () => {
  let bundled: SynthesizedPbx;

  beforeAll(() => {
    bundled = synthPbx({}, { bundle: true });
  }, SLOW.timeout);

  it.each(functionEntries.map((e) => e.name))(
    "%s is bundled locally as ESM with source map, core code inlined, AWS SDK external",
    (name) => {
      // Prepare
      const fn = bundled.api.functions[name];
      const resource = bundled.assembly.getStackByName(bundled.api.stackName).template.Resources[
        logicalId(bundled.api, fn)
      ] as { Metadata: Record<string, string> };
      const dir = join(bundled.assembly.directory, resource.Metadata["aws:asset:path"] ?? "");

      // Act
      const files = readdirSync(dir).sort();
      const code = readFileSync(join(dir, "index.mjs"), "utf8");
      const map = JSON.parse(readFileSync(join(dir, "index.mjs.map"), "utf8")) as { sources: string[] };

      // Assess
      expect(files).toEqual(["index.mjs", "index.mjs.map"]);
      expect(code.startsWith("import { createRequire as __pbxCreateRequire }")).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\s*[,}]/);
      expect(map.sources.some((s) => s.includes("layers/core/"))).toBe(true);
      expect(map.sources.some((s) => s.includes("node_modules/@aws-sdk/"))).toBe(false);
    },
  );
});
