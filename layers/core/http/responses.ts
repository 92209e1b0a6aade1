import type { APIGatewayProxyResult } from "aws-lambda";
import { DomainError } from "../errors.js";

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

/** A non-JSON answer (CSV, vCard, XML): a handler returns it and the body goes out as it is. */
export class RawBody {
  constructor(
    readonly body: string,
    readonly contentType: string,
    readonly headers: Record<string, string> = {},
    readonly status?: number,
  ) {}
}

export function jsonResponse(statusCode: number, body: unknown, requestId: string): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { ...JSON_HEADERS, "x-request-id": requestId },
    body: statusCode === 204 || body === undefined ? "" : JSON.stringify(body),
  };
}

/** The one mapping from errors to HTTP: domain errors say what was wrong, anything else says nothing internal. */
export function errorResponse(error: unknown, requestId: string): APIGatewayProxyResult {
  if (error instanceof DomainError) {
    const response = jsonResponse(
      error.status,
      { error: error.code, message: error.message, ...error.details },
      requestId,
    );
    return { ...response, headers: { ...response.headers, ...error.headers } };
  }
  return jsonResponse(500, { error: "internal", message: "Something went wrong on our side", requestId }, requestId);
}
