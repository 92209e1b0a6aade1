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
} from "../../infra/constructs/pbx-function.js";
import { FUNCTION_ACCESS } from "../../infra/stacks/api-stack.js";
import { ENV } from "../../layers/core/config.js";
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
      ]);
      expect(prod.stacks.map((s) => s.stackName)).toEqual([
        "CloudPbx-prod-Data",
        "CloudPbx-prod-Mail",
        "CloudPbx-prod-Api",
      ]);
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

    it("generates the master key and the platform key (32+ characters)", () => {
      const secrets = devData.findResources("AWS::SecretsManager::Secret");
      expect(Object.keys(secrets)).toHaveLength(2);
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
      const withZone = synthPbx({ mailHostedZoneId: "Z0123456789ABCDEFGHIJ" });

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
    it("deploys one function per route group plus the authorizer", () => {
      api.resourceCountIs("AWS::Lambda::Function", FUNCTION_GROUPS.length + 1);
      expect(functionEntries.map((e) => e.name).sort()).toEqual([...FUNCTION_GROUPS, "authorizer"].sort());
      const groupsWithRoutes = new Set((routeList as readonly RouteContract[]).map((r) => r.group));
      expect([...groupsWithRoutes].every((g) => (FUNCTION_GROUPS as readonly string[]).includes(g))).toBe(true);
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
        [ENV.mailFrom]: "pbx@example.com",
      });
      expect(variables).toHaveProperty(ENV.tableName);
      expect(variables).toHaveProperty(ENV.sesConfigurationSet);
      expect(ENV.masterKeySecretArn in variables).toBe(access.masterKey);
      expect(ENV.platformKeySecretArn in variables).toBe(access.platformKey);
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
      expect(actions.some((a) => a.startsWith("ses:"))).toBe(false);
    });

    it("keeps the authorizer read-only and lets only the authorizer read the platform key", () => {
      expect(FUNCTION_ACCESS.authorizer).toMatchObject({ table: "read", masterKey: true, platformKey: true });
      expect(FUNCTION_ACCESS.platform).toMatchObject({ table: "readWrite", masterKey: true, platformKey: false });
      const platformKeyReaders = functionEntries.filter((e) => FUNCTION_ACCESS[e.name].platformKey).map((e) => e.name);
      expect(platformKeyReaders).toEqual(["authorizer"]);
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

  describe("ApiStack", () => {
    it("is a regional REST API without CORS", () => {
      api.hasResourceProperties("AWS::ApiGateway::RestApi", { EndpointConfiguration: { Types: ["REGIONAL"] } });
      const methods = Object.values(apiResources).filter((r) => r.Type === "AWS::ApiGateway::Method");
      expect(methods.some((m) => (m.Properties as { HttpMethod: string }).HttpMethod === "OPTIONS")).toBe(false);
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
            Name: "RatePerIp",
            Action: { Block: {} },
            Statement: { RateBasedStatement: { Limit: 3000, AggregateKeyType: "IP" } },
          }),
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
