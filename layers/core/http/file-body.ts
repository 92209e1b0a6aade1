import type { APIGatewayProxyEvent } from "aws-lambda";
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "../errors.js";

/**
 * Request bodies that are files rather than JSON: `text/csv` or `text/vcard` as the whole body
 * (`curl --data-binary @contacts.csv`), or a browser's `multipart/form-data` upload. API Gateway
 * passes these to the function as bytes (base64 in the event) because the API stack lists them
 * as binary media types, so a file in any encoding arrives unaltered; the local adapter does the same.
 */
export const BINARY_MEDIA_TYPES = ["multipart/form-data", "text/csv", "text/vcard", "text/x-vcard"] as const;

/** A file the caller sent, with the form's other fields (multipart) or nothing else (a raw body). */
export interface UploadedFile {
  /** The file's media type, lower-cased, without parameters. */
  mediaType: string;
  filename?: string;
  /** The file's bytes, already inflated when it came with `Content-Encoding: gzip` (the route says how). */
  bytes: Buffer;
  /** `Content-Encoding: gzip` on a raw body: the bytes are still compressed. */
  gzip: boolean;
  fields: Record<string, string>;
}

export interface FileBodyOptions {
  /** The multipart field that holds the file. */
  field: string;
  /** The largest request body accepted, in bytes (413 beyond it). */
  maxBytes: number;
  /** Media types accepted as a raw body (besides JSON and multipart). */
  rawTypes: readonly string[];
}

export type MultipartReader = (
  bytes: Buffer,
  headers: Record<string, string | undefined>,
  options: FileBodyOptions,
) => Promise<UploadedFile>;

let multipartReader: MultipartReader | undefined;

/**
 * The functions whose routes take forms (contacts) say how to read them, at module scope; the
 * others never bundle the multipart parser (http/multipart.ts), as with provideMailer.
 */
export function provideMultipartReader(reader: MultipartReader): void {
  multipartReader = reader;
}

export function mediaTypeOf(headers: Record<string, string | undefined>): string {
  return (headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** The body's bytes, refused with 413 beyond the route's limit. */
export function bodyBytes(event: APIGatewayProxyEvent, maxBytes: number): Buffer {
  const body = event.body ?? "";
  const bytes = event.isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  return bytes;
}

export function tooLarge(maxBytes: number) {
  return new PayloadTooLargeError("body", `The request body is larger than ${formatBytes(maxBytes)}`, maxBytes);
}

export function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : `${bytes.toLocaleString("en-US")} bytes`;
}

/** Reads a raw or multipart file body; any other media type is a 415 naming the accepted ones. */
export async function readFileBody(
  event: APIGatewayProxyEvent,
  headers: Record<string, string | undefined>,
  options: FileBodyOptions,
): Promise<UploadedFile> {
  const mediaType = mediaTypeOf(headers);
  const bytes = bodyBytes(event, options.maxBytes);
  if (mediaType === "multipart/form-data") {
    if (!multipartReader) throw new Error("This function reads no forms (see provideMultipartReader)");
    return multipartReader(bytes, headers, options);
  }
  if (!options.rawTypes.includes(mediaType)) {
    throw new UnsupportedMediaTypeError(`${mediaType || "(none)"} is not accepted here`, [
      "application/json",
      "multipart/form-data",
      ...options.rawTypes,
    ]);
  }
  const encoding = (headers["content-encoding"] ?? "").trim().toLowerCase();
  if (encoding !== "" && encoding !== "identity" && encoding !== "gzip") {
    throw ValidationError.one("content-encoding", "must be gzip or absent", "header");
  }
  return { mediaType, bytes, gzip: encoding === "gzip", fields: {} };
}
