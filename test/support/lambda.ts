import { Logger } from "@aws-lambda-powertools/logger";
import middy from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { vi } from "vitest";
import type { RouteContract } from "../../layers/core/http/contract.js";
import type { ApiContext, ApiMiddleware, ApiState } from "../../layers/core/http/middleware/types.js";
import type { Caller, TenantCaller } from "../../layers/core/services/caller.js";

/** An API Gateway proxy event for a route, as API Gateway (or the local adapter) builds it. */
export function proxyEvent(
  route: Pick<RouteContract, "method" | "path">,
  overrides: Partial<APIGatewayProxyEvent> = {},
) {
  return {
    resource: route.path,
    path: route.path,
    httpMethod: route.method,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      requestId: "req-1",
      authorizer: null,
      identity: { sourceIp: "192.0.2.10" },
    } as unknown as APIGatewayProxyEvent["requestContext"],
    ...overrides,
  } satisfies APIGatewayProxyEvent;
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "cloud-pbx-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:cloud-pbx-test",
    memoryLimitInMB: "512",
    awsRequestId: "lambda-req-1",
    logGroupName: "/aws/lambda/cloud-pbx-test",
    logStreamName: "test",
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A context as requestContext leaves it, for testing the middlewares that come after it. */
export function apiContext(route: RouteContract, state: Partial<ApiState> = {}): ApiContext {
  return {
    ...lambdaContext(),
    api: {
      requestId: "req-1",
      route,
      caller: { kind: "public" },
      headers: {},
      sourceIp: "192.0.2.10",
      body: undefined,
      input: { params: {}, query: {}, body: undefined },
      ...state,
    },
  };
}

export const OK: APIGatewayProxyResult = { statusCode: 200, body: "ok" };

/** One middleware (or a few) in front of a handler, as Powertools tests its own middleware. */
export function chain(
  middlewares: ApiMiddleware[],
  handler: (event: APIGatewayProxyEvent, context: ApiContext) => Promise<APIGatewayProxyResult> = async () => OK,
) {
  let built = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ApiContext>();
  for (const middleware of middlewares) built = built.use(middleware);
  return built.handler(handler);
}

export function tenantCaller(overrides: Partial<TenantCaller> = {}): Caller {
  return {
    kind: "tenant",
    tenantId: "01J0000000000000000000000A",
    tenantSlug: "acme",
    extensionId: "01J0000000000000000000EXT1",
    sessionId: "01J0000000000000000000SES1",
    role: "custom",
    permissions: new Set(),
    ...overrides,
  };
}

/** A logger at DEBUG whose JSON lines are collected (it writes to stdout and stderr, as in Lambda). */
export function capturedLogger() {
  const logger = new Logger({ serviceName: "middleware-test", logLevel: "DEBUG" });
  const lines: Record<string, unknown>[] = [];
  const collect = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split("\n")) if (line.startsWith("{")) lines.push(JSON.parse(line));
    return true;
  };
  const out = vi.spyOn(process.stdout, "write").mockImplementation(collect);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(collect);
  return {
    logger,
    lines,
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}
