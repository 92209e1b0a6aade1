import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from "aws-lambda";
import { handler as authHandler } from "../../functions/auth.js";
import { handler as authorizer } from "../../functions/authorizer.js";
import { handler as contactsHandler } from "../../functions/contacts.js";
import { handler as eventsHandler } from "../../functions/events.js";
import { handler as extensionsHandler } from "../../functions/extensions.js";
import { handler as metaHandler } from "../../functions/meta.js";
import { handler as organizationsHandler } from "../../functions/organizations.js";
import { handler as permissionsHandler } from "../../functions/permissions.js";
import { handler as platformHandler } from "../../functions/platform.js";
import { handler as recordsHandler } from "../../functions/records.js";
import { handler as rolesHandler } from "../../functions/roles.js";
import { handler as securityHandler } from "../../functions/security.js";
import { handler as tenantHandler } from "../../functions/tenant.js";
import type { FunctionGroup, RouteContract } from "../../layers/core/http/contract.js";
import { BINARY_MEDIA_TYPES } from "../../layers/core/http/file-body.js";
import { RouteMatcher } from "../../layers/core/http/route-match.js";
import { routeList } from "../../layers/core/routes.js";

type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The same wiring the CDK API stack makes: one function per group. */
const HANDLERS: Record<FunctionGroup, ProxyHandler> = {
  platform: platformHandler,
  auth: authHandler,
  extensions: extensionsHandler,
  organizations: organizationsHandler,
  tenant: tenantHandler,
  security: securityHandler,
  events: eventsHandler,
  roles: rolesHandler,
  permissions: permissionsHandler,
  contacts: contactsHandler,
  records: recordsHandler,
  meta: metaHandler,
};

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit

const matcher = new RouteMatcher(routeList as readonly RouteContract[]);

/**
 * Serves the route table over HTTP the way API Gateway would: it builds REST API proxy
 * events, runs the real REQUEST authorizer for protected routes, and calls the real handlers.
 */
export function createLocalApi(options: { site?: SiteHandler } = {}): Server {
  return createServer((request, response) => {
    serveFirst(options.site, request, response).catch((error: unknown) => {
      console.error("local adapter failure", error);
      if (!response.headersSent) send(response, 500, { error: "internal", message: "Local adapter failure" });
    });
  });
}

export async function listen(server: Server, port: number, host = "127.0.0.1"): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return `http://${host}:${boundPort}`;
}

/** Serves static files for non-API paths (the web app, as CloudFront does in AWS). */
export type SiteHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean> | false;

async function serveFirst(site: SiteHandler | undefined, request: IncomingMessage, response: ServerResponse) {
  if (site && (await site(request, response))) return;
  await serve(request, response);
}

async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const method = (request.method ?? "GET").toUpperCase();
  const body = await readBody(request);
  if (body === "too-large")
    return send(response, 413, { error: "payload_too_large", message: "Request body is too large" });

  const match = matcher.match(method, url.pathname);
  if (!match) {
    // API Gateway answers unknown routes through the MISSING_AUTHENTICATION_TOKEN gateway response, mapped to 404.
    return send(response, 404, { error: "not_found", message: `No route for ${method} ${url.pathname}` });
  }

  const pathParameters = decodePathParameters(match.rawParams);
  if (typeof pathParameters === "string") {
    return send(response, 400, {
      error: "validation_failed",
      message: `Invalid input: ${pathParameters}`,
      fields: [{ in: "path", field: pathParameters, message: "is not valid percent-encoded UTF-8" }],
    });
  }
  const headers = singleValueHeaders(request);
  const requestId = randomUUID();
  const sourceIp = clientIp(request);
  const query = queryParameters(url);

  let authorizerContext: Record<string, unknown> | null = null;
  if (match.route.auth.kind !== "public") {
    const outcome = await runAuthorizer(
      match.route,
      url.pathname,
      method,
      headers,
      pathParameters,
      query.single,
      requestId,
      sourceIp,
    );
    if (outcome.status) return send(response, outcome.status, outcome.body);
    authorizerContext = outcome.context;
  }

  const event: APIGatewayProxyEvent = {
    resource: match.route.path,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
    stageVariables: null,
    // Like API Gateway with the API stack's binary media types: files arrive as base64 bytes.
    ...eventBody(body, headers["content-type"]),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      authorizer: authorizerContext,
      protocol: "HTTP/1.1",
      httpMethod: method,
      identity: identity(sourceIp, headers["user-agent"] ?? null),
      path: `/local${url.pathname}`,
      stage: "local",
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: match.route.id,
      resourcePath: match.route.path,
    },
  };
  const result = await HANDLERS[match.route.group](event, lambdaContext(match.route.group, requestId));
  response.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
  response.end(result.body);
}

async function runAuthorizer(
  route: RouteContract,
  path: string,
  method: string,
  headers: Record<string, string>,
  pathParameters: Record<string, string>,
  queryStringParameters: Record<string, string> | null,
  requestId: string,
  sourceIp: string,
): Promise<{ status?: number; body?: unknown; context: Record<string, unknown> | null }> {
  const event: APIGatewayRequestAuthorizerEvent = {
    type: "REQUEST",
    methodArn: `arn:aws:execute-api:local:000000000000:local/local/${method}${path}`,
    resource: route.path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: null,
    pathParameters,
    queryStringParameters,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      authorizer: undefined,
      protocol: "HTTP/1.1",
      httpMethod: method,
      identity: identity(sourceIp, headers["user-agent"] ?? null),
      path,
      stage: "local",
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: route.id,
      resourcePath: route.path,
    },
  };
  let result: APIGatewayAuthorizerResult;
  try {
    result = await authorizer(event);
  } catch (error) {
    if (error instanceof Error && error.message === "Unauthorized") {
      return { status: 401, body: { error: "unauthorized", message: "Missing or invalid credentials" }, context: null };
    }
    throw error;
  }
  const allowed = result.policyDocument.Statement.every((statement) => statement.Effect === "Allow");
  if (!allowed) {
    // The same body as the API stack's ACCESS_DENIED gateway response.
    const reason = String(result.context?.reason ?? "");
    return { status: 403, body: { error: "forbidden", message: "Access denied", reason }, context: null };
  }
  return { context: { ...result.context, principalId: result.principalId } };
}

function identity(sourceIp: string, userAgent: string | null): APIGatewayProxyEvent["requestContext"]["identity"] {
  return {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp,
    user: null,
    userAgent,
    userArn: null,
  };
}

/**
 * The caller's address, as API Gateway's `identity.sourceIp`. PBX_LOCAL_TRUST_FORWARDED_FOR=1
 * takes it from X-Forwarded-For instead, so tests on loopback can act as distinct clients.
 */
function clientIp(request: IncomingMessage): string {
  const forwarded = request.headers["x-forwarded-for"];
  if (process.env.PBX_LOCAL_TRUST_FORWARDED_FOR === "1" && typeof forwarded === "string" && forwarded.trim()) {
    return forwarded.split(",")[0]?.trim() ?? "";
  }
  return request.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1";
}

function lambdaContext(group: string, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `cloud-pbx-local-${group}`,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:cloud-pbx-local-${group}`,
    memoryLimitInMB: "512",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/cloud-pbx-local-${group}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The decoded path parameters, or the name of the first one that is not valid percent-encoded UTF-8. */
function decodePathParameters(raw: Record<string, string>): Record<string, string> | string {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      decoded[name] = decodeURIComponent(value);
    } catch {
      return name;
    }
  }
  return decoded;
}

function singleValueHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  return headers;
}

function queryParameters(url: URL) {
  if ([...url.searchParams.keys()].length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    single[name] = value; // API Gateway keeps the last value in queryStringParameters
    multi[name] = [...(multi[name] ?? []), value];
  }
  return { single, multi };
}

async function readBody(request: IncomingMessage): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function eventBody(
  body: Buffer,
  contentType: string | undefined,
): Pick<APIGatewayProxyEvent, "body" | "isBase64Encoded"> {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  const mediaType = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const binary = (BINARY_MEDIA_TYPES as readonly string[]).includes(mediaType);
  return binary
    ? { body: body.toString("base64"), isBase64Encoded: true }
    : { body: body.toString("utf8"), isBase64Encoded: false };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(body));
}
