import type { MiddlewareObj, Request } from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import type { Caller } from "../../services/caller.js";
import type { RouteContract } from "../contract.js";

/** What the chain learns about one request, middleware by middleware (requestContext creates it). */
export interface ApiState {
  requestId: string;
  route: RouteContract;
  caller: Caller;
  /** Request headers, lower-cased names. */
  headers: Record<string, string | undefined>;
  sourceIp: string;
  /** The body as read (JSON or a file turned into the route's body), before validation. */
  body: unknown;
  /** Path, query and body as the route's schemas output them; empty until inputValidation runs. */
  input: { params: unknown; query: unknown; body: unknown };
}

/** The Lambda context, carrying the request's state from one middleware to the next. */
export interface ApiContext extends Context {
  api: ApiState;
}

export type ApiRequest = Request<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ApiContext>;
export type ApiMiddleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ApiContext>;

/** API Gateway's request id (the one clients see in x-request-id), else Lambda's. */
export function requestIdOf(request: { event: APIGatewayProxyEvent; context: Context }): string {
  return request.event.requestContext?.requestId ?? request.context.awsRequestId;
}
