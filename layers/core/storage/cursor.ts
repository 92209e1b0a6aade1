import { createHmac, timingSafeEqual } from "node:crypto";
import * as z from "zod";
import type { Deps } from "../deps.js";
import { ValidationError } from "../errors.js";

/**
 * The one cursor codec of the API. A cursor is the position a list stopped at (a DynamoDB
 * LastEvaluatedKey or index positions), sealed with an HMAC over the position *and* the scope
 * it was issued for: the list, the tenant (and extension) and the query's key range. So a
 * cursor cannot be forged, edited, carried to another tenant or replayed against another query,
 * and DynamoDB never sees an ExclusiveStartKey outside the query's range (which it answers with
 * a ValidationException: the 500s of issue 12). The position is also checked against a schema
 * after the seal, so even a leaked key cannot steer a query out of its partition.
 *
 * Cursors are opaque but not secret: the position is readable base64url JSON.
 */
const VERSION = "c1";
const MAC_BYTES = 16;

export interface CursorCodec<T> {
  seal(position: T): string;
  /** The position a cursor holds; a 400 naming `cursor` (in the query) for anything else. */
  open(cursor: string): T;
}

/**
 * A codec for one scope. `scope` names the list and every value that bounds its query (tenant,
 * extension, kind, date range, search prefixes): a cursor opens only in the scope it was sealed in.
 */
export async function cursorCodec<T>(deps: Deps, scope: readonly string[], position: z.ZodType<T>) {
  return cursorCodecWithKey(await deps.cursorKey(), scope, position);
}

export function cursorCodecWithKey<T>(key: Buffer, scope: readonly string[], position: z.ZodType<T>): CursorCodec<T> {
  const mac = (payload: string) =>
    createHmac("sha256", key)
      .update(JSON.stringify([VERSION, ...scope]))
      .update("\u0000")
      .update(payload)
      .digest()
      .subarray(0, MAC_BYTES);
  return {
    seal(value) {
      const payload = Buffer.from(JSON.stringify(value)).toString("base64url");
      return `${VERSION}.${payload}.${mac(payload).toString("base64url")}`;
    },
    open(cursor) {
      const [version, payload, tag, extra] = cursor.split(".");
      if (version === VERSION && payload && tag && extra === undefined) {
        const given = Buffer.from(tag, "base64url");
        if (given.length === MAC_BYTES && timingSafeEqual(given, mac(payload))) {
          const parsed = position.safeParse(parseJson(Buffer.from(payload, "base64url").toString("utf8")));
          if (parsed.success) return parsed.data;
        }
      }
      throw ValidationError.one("cursor", "is not a cursor this API returned for this list", "query");
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A table key `{PK, SK}` in one partition, its sort key between `from` and `to` inclusive, in
 * DynamoDB's order (UTF-8 bytes; JavaScript's UTF-16 order differs above U+E000).
 */
export function tableKeyIn(partition: string, from: string, to = `${from}\u{10FFFF}`) {
  const [low, high] = [Buffer.from(from), Buffer.from(to)];
  return z.strictObject({
    PK: z.literal(partition),
    SK: z.string().refine((sk) => {
      const bytes = Buffer.from(sk);
      return Buffer.compare(bytes, low) >= 0 && Buffer.compare(bytes, high) <= 0;
    }),
  });
}
