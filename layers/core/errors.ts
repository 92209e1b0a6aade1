/**
 * Typed domain errors. Services throw these; one place (http/middleware/http-errors.ts) maps them to HTTP,
 * so no handler writes its own 4xx or 5xx body.
 */
export interface FieldError {
  /** Where the bad value was: body, query or path. */
  in: "body" | "query" | "path" | "header";
  /** Dotted path of the field inside that location, e.g. `email` or `organizations.1`. */
  field: string;
  message: string;
}

export class DomainError extends Error {
  // Each class names itself: the bundles are minified without keepNames, so a class's own
  // name would not survive (D-speed-5).
  override name = "DomainError";
  /** Extra response headers, e.g. Retry-After. */
  headers: Record<string, string> = {};

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class ValidationError extends DomainError {
  override readonly name = "ValidationError";

  constructor(readonly fields: FieldError[]) {
    const names = fields.map((f) => f.field).join(", ");
    super(400, "validation_failed", `Invalid input: ${names}`, { fields });
  }

  static one(field: string, message: string, location: FieldError["in"] = "body") {
    return new ValidationError([{ in: location, field, message }]);
  }
}

export class ConflictError extends DomainError {
  override readonly name = "ConflictError";

  constructor(field: string, message: string, extra: Record<string, unknown> = {}) {
    super(409, "conflict", message, { field, ...extra });
  }
}

export class NotFoundError extends DomainError {
  override readonly name = "NotFoundError";

  constructor(what: string) {
    super(404, "not_found", `${what} not found`);
  }
}

export class UnauthorizedError extends DomainError {
  override readonly name = "UnauthorizedError";

  constructor(message = "Missing or invalid credentials") {
    super(401, "unauthorized", message);
  }
}

export class ForbiddenError extends DomainError {
  override readonly name = "ForbiddenError";

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(403, "forbidden", message, details);
  }
}

/** A body or file over a documented limit: 413, naming the limit so the caller knows what to split. */
export class PayloadTooLargeError extends DomainError {
  override readonly name = "PayloadTooLargeError";

  constructor(field: string, message: string, limit: number) {
    super(413, "payload_too_large", message, { field, limit });
  }
}

/** A body in a form the route does not read; the fields name the Content-Type header. */
export class UnsupportedMediaTypeError extends DomainError {
  override readonly name = "UnsupportedMediaTypeError";

  constructor(message: string, accepted?: readonly string[]) {
    super(415, "unsupported_media_type", `Content-Type ${message}`, {
      fields: [{ in: "header", field: "content-type", message }],
      ...(accepted ? { accepted } : {}),
    });
  }
}
