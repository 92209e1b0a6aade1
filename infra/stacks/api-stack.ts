/**
 * The HTTP API: one REST API whose routes are built by iterating the route table in
 * layers/core/routes.ts, one PbxFunction per route group, and the Lambda authorizer in front of
 * every platform and tenant route. Also the notifier, the one function not behind the API: it
 * sends the notification emails of the outbox, triggered by the table's stream and a schedule.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from "aws-cdk-lib";
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type MethodOptions,
  RequestAuthorizer,
  type RequestValidator,
  ResponseType,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { ENV } from "#core/config";
import type { FunctionGroup, RouteContract } from "#core/http/contract";
import { BINARY_MEDIA_TYPES } from "#core/http/file-body";
import { routeList } from "#core/routes";
import type { StageConfig } from "../config.js";
import {
  FUNCTION_GROUPS,
  type FunctionEntry,
  type FunctionName,
  functionEntries,
  PbxFunction,
  type PbxFunctionProps,
} from "../constructs/pbx-function.js";
import { apiWebAcl } from "./api-web-acl.js";
import { FUNCTION_ACCESS, grantTable, SES_SEND_ACTIONS } from "./function-access.js";
import { triggerNotifier } from "./notifier-triggers.js";

export interface ApiStackProps extends StackProps {
  config: StageConfig;
  table: ITable;
  masterKeySecret: ISecret;
  /** CloudFront's origin secret, readable by the functions that read the caller's IP. */
  originSecret: ISecret;
  cursorKeySecret: ISecret;
  platformKeySecret: ISecret;
  /** The From address of every email (MAIL_FROM_ADDRESS), in the SES domain identity `config.mailDomain`. */
  mailFromAddress: string;
  sesConfigurationSetName: string;
}

/** JSON bodies of the responses API Gateway itself produces, in the shape of the handlers' errors. */
export const GATEWAY_RESPONSES = [
  {
    id: "Unauthorized",
    type: ResponseType.UNAUTHORIZED,
    statusCode: "401",
    body: '{"error":"unauthorized","message":"Missing or invalid credentials"}',
  },
  {
    id: "AccessDenied",
    type: ResponseType.ACCESS_DENIED,
    statusCode: "403",
    body: '{"error":"forbidden","message":"Access denied","reason":"$context.authorizer.reason"}',
  },
  {
    // API Gateway answers an unknown path or method with 403 "Missing Authentication Token".
    id: "NoSuchRoute",
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: "404",
    body: '{"error":"not_found","message":"No such route"}',
  },
  {
    id: "Throttled",
    type: ResponseType.THROTTLED,
    statusCode: "429",
    body: '{"error":"throttled","message":"Too many requests"}',
  },
  {
    id: "WafFiltered",
    type: ResponseType.WAF_FILTERED,
    statusCode: "403",
    body: '{"error":"forbidden","message":"Request blocked"}',
  },
  {
    id: "Default4xx",
    type: ResponseType.DEFAULT_4XX,
    statusCode: undefined,
    body: '{"error":"bad_request","message":$context.error.messageString}',
  },
  {
    id: "Default5xx",
    type: ResponseType.DEFAULT_5XX,
    statusCode: undefined,
    body: '{"error":"internal","message":"Internal error"}',
  },
] as const;

export class ApiStack extends Stack {
  readonly api: RestApi;
  readonly functions: Readonly<Record<FunctionName, PbxFunction>>;
  readonly authorizer: RequestAuthorizer;
  /** Where failed notifier work is kept: stream batches given up on, and failed scheduled runs. */
  readonly notifierFailures: Queue;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;

    // Every variable of layers/core/config.ts that has no safe local default, for every function.
    const commonEnvironment: Record<string, string> = {
      [ENV.tableName]: props.table.tableName,
      [ENV.accessTokenTtl]: String(config.accessTokenTtlSeconds),
      [ENV.refreshTokenTtl]: String(config.refreshTokenTtlSeconds),
      [ENV.sessionMaxAge]: String(config.sessionMaxAgeSeconds),
      [ENV.quickLoginTtl]: String(config.quickLoginTtlSeconds),
      [ENV.eventRetentionDays]: String(config.eventRetentionDays),
      [ENV.publicWebUrl]: config.publicWebUrl,
      [ENV.publicSipHost]: config.publicSipHost,
      // The Linkus channel (and SIP over WebSocket on its /sip path) as clients reach it: wss
      // when the NLB terminates TLS on 8111 (linkusCertificateArn).
      [ENV.publicLinkusUrl]: `${config.linkusCertificateArn ? "wss" : "ws"}://${config.publicSipHost}:8111`,
      [ENV.mailFrom]: props.mailFromAddress,
      [ENV.sesConfigurationSet]: props.sesConfigurationSetName,
    };

    // The SES resources a send is checked against: the domain identity (or the From address, should
    // it ever be verified as an identity of its own) and the configuration set every send names.
    const sesResources = [
      this.formatArn({ service: "ses", resource: "identity", resourceName: config.mailDomain }),
      this.formatArn({ service: "ses", resource: "identity", resourceName: props.mailFromAddress }),
      this.formatArn({ service: "ses", resource: "configuration-set", resourceName: props.sesConfigurationSetName }),
    ];

    this.notifierFailures = new Queue(this, "NotifierFailures", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: failures are inspected by hand, nothing consumes this queue.
      retentionPeriod: Duration.days(14),
      removalPolicy: config.removalPolicy,
    });

    // Settings of one function beyond its FUNCTION_ACCESS entry.
    const specific: Partial<Record<FunctionName, Partial<PbxFunctionProps>>> = {
      notifier: {
        // Bounds the SES sending rate: each invocation sends one message at a time, so at most this
        // many sends are in flight. A burst of events drains at a steady pace instead of starting
        // dozens of parallel senders that would hit the account's SES sending-rate quota and fail
        // into retries. Stream batches and scheduled runs wait for a free slot; nothing is lost, the
        // backlog stays pending in the table's outbox.
        reservedConcurrentExecutions: config.notifierReservedConcurrency,
        // Asynchronous invocations (the schedule): no retry, the next tick a minute later is the
        // retry. A run that fails or waited too long lands in the failure queue as an alarm signal.
        retryAttempts: 0,
        maxEventAge: Duration.minutes(5),
        deadLetterQueue: this.notifierFailures,
      },
    };

    const makeFunction = ({ name, entry }: FunctionEntry) => {
      const access = FUNCTION_ACCESS[name];
      const environment = { ...commonEnvironment };
      if (access.masterKey) environment[ENV.masterKeySecretArn] = props.masterKeySecret.secretArn;
      if (access.platformKey) environment[ENV.platformKeySecretArn] = props.platformKeySecret.secretArn;
      if (access.cursorKey) environment[ENV.cursorKeySecretArn] = props.cursorKeySecret.secretArn;
      if (access.originSecret) environment[ENV.originSecretArn] = props.originSecret.secretArn;
      const fn = new PbxFunction(this, `${pascal(name)}Function`, {
        entry,
        description: `cloud-pbx ${config.stage}: ${name}`,
        environment,
        memorySize: access.memorySize,
        timeout: access.timeout,
        logRetention: config.logRetention,
        logRemovalPolicy: config.removalPolicy,
        ...specific[name],
      });
      grantTable(fn, props.table, access.table);
      if (access.masterKey) props.masterKeySecret.grantRead(fn);
      if (access.cursorKey) props.cursorKeySecret.grantRead(fn);
      if (access.platformKey) props.platformKeySecret.grantRead(fn);
      if (access.originSecret) props.originSecret.grantRead(fn);
      if (access.ses)
        fn.addToRolePolicy(new iam.PolicyStatement({ actions: SES_SEND_ACTIONS, resources: sesResources }));
      return [name, fn] as const;
    };
    this.functions = Object.fromEntries(functionEntries.map(makeFunction)) as Record<FunctionName, PbxFunction>;
    const groupFunctions: Record<FunctionGroup, PbxFunction> = this.functions;
    const authorizerFunction = this.functions.authorizer;

    // --- The REST API -------------------------------------------------------------------------
    const accessLogs = new LogGroup(this, "AccessLogs", {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.api = new RestApi(this, "Api", {
      restApiName: `cloud-pbx-${config.stage}`,
      description: `cloud-pbx ${config.stage}: multi-tenant PBX API`,
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Contact files arrive as bytes (base64 in the event) in whatever encoding they were saved.
      // Answers stay text: no function sets isBase64Encoded, so exports pass through unchanged.
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      // No CORS: the API serves Linkus clients and server-side callers, not browsers on other origins.
      defaultCorsPreflightOptions: undefined,
      // API Gateway needs an account-level role to write logs (see the IAM4 acknowledgement below).
      cloudWatchRole: true,
      // Account-wide and shared with every other REST API in the region: never deleted with a stage.
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: config.stage,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Never log request or response bodies: they carry passwords and SIP secrets.
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: config.throttle.rateLimit,
        throttlingBurstLimit: config.throttle.burstLimit,
      },
    });
    const cloudWatchRole = this.api.node.tryFindChild("CloudWatchRole");
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        reason:
          "This is the single account-wide role API Gateway uses to write the logs of every REST API in the region " +
          "(AWS::ApiGateway::Account); AWS maintains its managed policy, and a narrower inline policy would break " +
          "logging for other APIs in the account.",
      });
    }

    for (const response of GATEWAY_RESPONSES) {
      this.api.addGatewayResponse(response.id, {
        type: response.type,
        statusCode: response.statusCode,
        templates: { "application/json": response.body },
      });
    }

    // Results cache TTL 0: suspensions, deletions and role changes apply to the very next request.
    // The Authorization header is the identity source, so a request without it is refused (401)
    // before the authorizer runs.
    this.authorizer = new RequestAuthorizer(this, "Authorizer", {
      handler: authorizerFunction,
      identitySources: [IdentitySource.header("Authorization")],
      resultsCacheTtl: Duration.seconds(0),
    });

    // Checks the declared path parameters; bodies and query strings are validated by the handlers
    // against the same zod contracts, so every 400 names the bad fields (docs/deploy.md).
    const validator = this.api.addRequestValidator("RequestValidator", {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    // One integration per group, with one API-wide invoke permission per function instead of two
    // per method (a function's resource policy is limited to 20 KB).
    // Only the route groups: the authorizer and the notifier are never integrations.
    const integrations = Object.fromEntries(
      FUNCTION_GROUPS.map((group) => [
        group,
        new LambdaIntegration(groupFunctions[group], { scopePermissionToMethod: false }),
      ]),
    ) as Record<FunctionGroup, LambdaIntegration>;

    for (const route of routeList as readonly RouteContract[]) {
      const method = this.api.root
        .resourceForPath(route.path)
        .addMethod(route.method, integrations[route.group], this.methodOptions(route, validator));
      Validations.of(method).acknowledge({
        id: "AwsSolutions-COG4",
        reason:
          "Callers are PBX extension users and the SaaS operator, authenticated by the project's own tokens and " +
          "platform key through the Lambda authorizer (or public by design); there is no Cognito user pool.",
      });
      if (route.auth.kind === "public") {
        Validations.of(method).acknowledge({
          id: "AwsSolutions-APIG4",
          reason: `${route.method} ${route.path} (${route.id}) is public by contract: ${route.summary}. It cannot require a credential the caller does not have yet.`,
        });
      }
    }

    // Per-IP rate limits that tell CloudFront's viewers apart (api-web-acl.ts).
    apiWebAcl(this, { config, stageArn: this.api.deploymentStage.stageArn, originSecret: props.originSecret });
    triggerNotifier(this, this.functions.notifier, props.table, this.notifierFailures);

    new CfnOutput(this, "ApiUrl", { value: this.api.url });
    new CfnOutput(this, "NotifierFailuresQueueUrl", {
      value: this.notifierFailures.queueUrl,
      description: "Stream batches and scheduled runs the notifier gave up on (docs/deploy.md, Notifier)",
    });
  }

  private methodOptions(route: RouteContract, validator: RequestValidator): MethodOptions {
    const pathParameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? "");
    const base: MethodOptions = {
      operationName: route.id,
      requestValidator: validator,
      requestParameters: Object.fromEntries(pathParameters.map((name) => [`method.request.path.${name}`, true])),
    };
    if (route.auth.kind === "public") return { ...base, authorizationType: AuthorizationType.NONE };
    return { ...base, authorizationType: AuthorizationType.CUSTOM, authorizer: this.authorizer };
  }
}

function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      extendedRequestId: AccessLogField.contextExtendedRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      ip: AccessLogField.contextIdentitySourceIp(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      path: AccessLogField.contextPath(),
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      authorizerLatency: AccessLogField.contextAuthorizerLatency(),
      authorizerStatus: AccessLogField.contextAuthorizerStatus(),
      authorizerError: AccessLogField.contextAuthorizerError(),
      denyReason: AccessLogField.contextAuthorizer("reason"),
      principalId: AccessLogField.contextAuthorizerPrincipalId(),
      errorType: AccessLogField.contextErrorResponseType(),
      errorMessage: AccessLogField.contextErrorMessage(),
      wafStatus: AccessLogField.contextWafResponseCode(),
      xrayTraceId: AccessLogField.contextXrayTraceId(),
    }),
  );
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
