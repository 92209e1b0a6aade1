import busboy from "busboy";
import { ValidationError } from "../errors.js";
import { type FileBodyOptions, tooLarge, type UploadedFile } from "./file-body.js";

/** A `multipart/form-data` body read with busboy: one file (in `options.field`) and a few short fields. */
const MAX_FORM_FIELDS = 10;
const MAX_FIELD_BYTES = 1024;

export function readMultipart(
  bytes: Buffer,
  headers: Record<string, string | undefined>,
  options: FileBodyOptions,
): Promise<UploadedFile> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { "content-type": headers["content-type"] ?? "" },
        limits: {
          files: 1,
          fields: MAX_FORM_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          fileSize: options.maxBytes,
          parts: 12,
        },
      });
    } catch {
      reject(ValidationError.one("content-type", "multipart/form-data needs a boundary", "header"));
      return;
    }
    const fields: Record<string, string> = {};
    let file: UploadedFile | undefined;
    let failure: Error | undefined;
    const fail = (error: Error) => {
      failure ??= error;
    };
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) fail(ValidationError.one(name, `is longer than ${MAX_FIELD_BYTES} bytes`));
      fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      const parts: Buffer[] = [];
      stream.on("data", (part: Buffer) => parts.push(part));
      stream.on("limit", () => fail(tooLarge(options.maxBytes)));
      stream.on("end", () => {
        if (name !== options.field) {
          fail(ValidationError.one(name, `is not a field of this form (the file goes in "${options.field}")`));
          return;
        }
        file = {
          mediaType: (info.mimeType ?? "").toLowerCase(),
          filename: info.filename,
          bytes: Buffer.concat(parts),
          gzip: false,
          fields,
        };
      });
    });
    parser.on("filesLimit", () => fail(ValidationError.one(options.field, "only one file may be sent")));
    parser.on("fieldsLimit", () => fail(ValidationError.one("body", `at most ${MAX_FORM_FIELDS} form fields`)));
    parser.on("partsLimit", () => fail(ValidationError.one("body", "has too many parts")));
    parser.on("error", () => reject(ValidationError.one("body", "is not a well-formed multipart/form-data body")));
    parser.on("close", () => {
      if (failure) return reject(failure);
      if (!file) return reject(ValidationError.one(options.field, "is required: send the file in this form field"));
      resolve({ ...file, fields });
    });
    parser.end(bytes);
  });
}
