import type * as z from "zod";
import { type FieldError, ValidationError } from "../errors.js";

/** Parses one part of a request against its schema, turning every zod issue into a named field error. */
export function parsePart<S extends z.ZodType>(schema: S, value: unknown, location: FieldError["in"]): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  // One rule can fail several checks with the same words (the password policy): say it once.
  const seen = new Set<string>();
  const fields = result.error.issues
    .flatMap((issue) => toFieldErrors(issue, location))
    .filter((error) => {
      const key = `${error.field}\u0000${error.message}`;
      return seen.has(key) ? false : Boolean(seen.add(key));
    });
  throw new ValidationError(fields);
}

function toFieldErrors(issue: z.core.$ZodIssue, location: FieldError["in"]): FieldError[] {
  const base = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      in: location,
      field: base ? `${base}.${key}` : key,
      message: "is not a known field",
    }));
  }
  const field = base || location;
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return [{ in: location, field, message: "is required" }];
  }
  if (issue.code === "invalid_type") {
    return [{ in: location, field, message: `must be ${article(issue.expected)}` }];
  }
  if (issue.code === "invalid_value") {
    return [{ in: location, field, message: `must be one of: ${issue.values.map(String).join(", ")}` }];
  }
  return [{ in: location, field, message: issue.message }];
}

function article(expected: string): string {
  // zod 4 reports a non-integer number as invalid_type "int", dropping the schema's own message.
  if (expected === "int") return "a whole number";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
