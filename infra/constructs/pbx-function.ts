/**
 * The project's one Lambda function construct. Every function of the PBX is a PbxFunction, so
 * runtime, architecture, tracing, logging and bundling are decided here once.
 *
 * Bundling runs esbuild from node_modules on the machine that synthesises (no Docker). The shared
 * code in layers/core is bundled into each function (tree-shaken), not shipped as a Lambda layer:
 * see docs/deploy.md, "Layer or bundle".
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Duration, type RemovalPolicy, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { Architecture, type CfnFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import {
  type BundlingOptions,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { BuildOptions } from "esbuild";
import type { FunctionGroup } from "#core/http/contract";

/** Repository root: the esbuild working directory and the base of every entry path. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The Lambda runtime, and its Node.js major for the esbuild target. Change both together. */
export const RUNTIME = Runtime.NODEJS_22_X;
export const NODE_MAJOR = 22;

/**
 * ESM output needs `require` for the CommonJS dependencies esbuild inlines (their `require()`
 * calls of Node built-ins). Aliased import so it cannot clash with bundled identifiers.
 */
const REQUIRE_BANNER =
  "import { createRequire as __pbxCreateRequire } from 'node:module';const require = __pbxCreateRequire(import.meta.url);";

/**
 * THE esbuild configuration, in esbuild's own option names so bench/ can pass it straight to
 * `esbuild.build()` and measure exactly what is deployed. `bundlingOptions` below is the same
 * configuration spelled for NodejsFunction.
 */
export const esbuildOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: `node${NODE_MAJOR}`,
  outExtension: { ".js": ".mjs" },
  mainFields: ["module", "main"],
  banner: { js: REQUIRE_BANNER },
  minify: true,
  // Names are not kept (13-15 KiB, ~7 % of each bundle): stack traces are mapped back through the
  // source maps (NODE_OPTIONS=--enable-source-maps) and the domain errors name themselves (D-speed-5).
  keepNames: false,
  sourcemap: true,
  // Stack traces only need the mappings; the sources would double the size of every .map file.
  sourcesContent: false,
  // The Node.js 22 runtime ships AWS SDK v3; bundling a second copy only adds cold-start bytes.
  external: ["@aws-sdk/*"],
} satisfies BuildOptions;

/** The same configuration for `NodejsFunction` (which always bundles, and names the file index.mjs). */
export const bundlingOptions: BundlingOptions = {
  format: OutputFormat.ESM,
  target: esbuildOptions.target,
  mainFields: esbuildOptions.mainFields,
  banner: esbuildOptions.banner.js,
  minify: esbuildOptions.minify,
  keepNames: esbuildOptions.keepNames,
  sourceMap: esbuildOptions.sourcemap,
  sourcesContent: esbuildOptions.sourcesContent,
  externalModules: esbuildOptions.external,
  // Local esbuild from node_modules; never fall back to a Docker image.
  forceDockerBundling: false,
};

/** The route groups, each deployed as one function behind the API. Must list every FunctionGroup (checked below). */
export const FUNCTION_GROUPS = [
  "platform",
  "auth",
  "extensions",
  "organizations",
  "tenant",
  "security",
  "events",
  "roles",
  "permissions",
  "contacts",
  "records",
  "meta",
] as const;
// Compile-time guard: adding a FunctionGroup in layers/core without deploying it fails here.
type AssertNever<T extends never> = T;
export type UndeployedGroups = AssertNever<Exclude<FunctionGroup, (typeof FUNCTION_GROUPS)[number]>>;

/**
 * Functions that serve no route group: the API's Lambda authorizer, and the notifier, which sends
 * the notification emails of the outbox (DynamoDB stream and schedule, never behind the API).
 */
export const SUPPORT_FUNCTIONS = ["authorizer", "notifier"] as const;

export type FunctionName = FunctionGroup | (typeof SUPPORT_FUNCTIONS)[number];

export interface FunctionEntry {
  name: FunctionName;
  /** Entry file, relative to the repository root. */
  entry: string;
}

/**
 * Every Lambda entry point, by name: one per route group plus the support functions. The stacks
 * deploy exactly these, and bench/bundles.ts measures exactly these.
 */
export const functionEntries: readonly FunctionEntry[] = [...FUNCTION_GROUPS, ...SUPPORT_FUNCTIONS].map((name) => ({
  name,
  entry: `functions/${name}.ts`,
}));

/** Environment every function gets; a caller's variables are added to these, never dropped. */
export const DEFAULT_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_OPTIONS: "--enable-source-maps",
  POWERTOOLS_SERVICE_NAME: "cloud-pbx",
  LOG_LEVEL: "INFO",
};

/** Defaults merged with the caller's environment. NODE_OPTIONS is combined, not replaced. */
export function mergeEnvironment(caller: Readonly<Record<string, string>> = {}): Record<string, string> {
  const merged: Record<string, string> = { ...DEFAULT_ENVIRONMENT, ...caller };
  const callerOptions = caller.NODE_OPTIONS;
  if (callerOptions !== undefined && !callerOptions.split(/\s+/).includes("--enable-source-maps")) {
    merged.NODE_OPTIONS = `--enable-source-maps ${callerOptions}`.trim();
  }
  return merged;
}

export interface PbxFunctionProps
  extends Omit<
    NodejsFunctionProps,
    | "runtime"
    | "architecture"
    | "bundling"
    | "tracing"
    | "logGroup"
    | "logRetention"
    | "entry"
    | "handler"
    | "projectRoot"
    | "depsLockFilePath"
    | "role"
  > {
  /** Entry file, relative to the repository root (see `functionEntries`). */
  entry: string;
  /** Retention of the function's log group. */
  logRetention: RetentionDays;
  /** What happens to the log group when the stack is deleted. */
  logRemovalPolicy: RemovalPolicy;
}

export class PbxFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PbxFunctionProps) {
    const { entry, logRetention, logRemovalPolicy, environment, ...rest } = props;

    // Siblings of the function (super() must run before `this` exists).
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: logRetention, removalPolicy: logRemovalPolicy });
    // An own role instead of AWSLambdaBasicExecutionRole (AwsSolutions-IAM4): write access to this log group only.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of the ${id} function`,
    });
    logGroup.grantWrite(role);
    // X-Ray write actions have no resource-level permissions, so they need Resource "*". They live in a
    // policy of their own, acknowledged there alone: a wildcard granted later through the role's default
    // policy is still reported.
    const xrayPolicy = new iam.Policy(scope, `${id}XRay`, {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
          resources: ["*"],
        }),
      ],
    });
    Validations.of(xrayPolicy).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions; AWS " +
        "documents Resource * for them. This policy holds only those two actions.",
    });

    super(scope, id, {
      timeout: Duration.seconds(10),
      memorySize: 512,
      description: `cloud-pbx ${id}`,
      ...rest,
      entry: join(projectRoot, entry),
      handler: "handler",
      projectRoot,
      depsLockFilePath: join(projectRoot, "package-lock.json"),
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      logGroup,
      role,
      bundling: bundlingOptions,
      environment: mergeEnvironment(environment),
    });

    // Active tracing, set on the resource so the permissions above are the only X-Ray grant
    // (the `tracing` prop would add a second, unacknowledged wildcard statement to the default policy).
    (this.node.defaultChild as CfnFunction).tracingConfig = { mode: "Active" };
    this.node.addDependency(xrayPolicy);

    Validations.of(this).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "Pinned to nodejs22.x on purpose, not silently upgraded: the bundles target node22 and rely on the AWS SDK v3 " +
        "that this runtime ships. Moving to nodejs24.x is a deliberate change of RUNTIME and NODE_MAJOR in " +
        "PbxFunction once the project runs its tests on Node 24.",
    });
  }
}
