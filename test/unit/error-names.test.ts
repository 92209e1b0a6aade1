import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { esbuildOptions } from "../../infra/constructs/pbx-function.js";

/**
 * The Lambda bundles are minified without keepNames, so a class's own name does not survive:
 * each domain error must name itself, or logs and failed-delivery reasons would read "a: …".
 */
describe("domain error names in a deployed bundle", () => {
  it("keeps every error's name through the deployed esbuild options", async () => {
    // Arrange: the errors, bundled and minified exactly as the functions are.
    const entry = `
      export * from "./layers/core/errors.ts";
      export { BlockedIpError } from "./layers/core/services/login-security.ts";
      export { TooManyAttemptsError } from "./layers/core/services/auth-gate.ts";
      export { ContactFileError } from "./layers/core/contacts/formats/common.ts";`;
    const result = await build({
      ...esbuildOptions,
      stdin: { contents: entry, resolveDir: process.cwd(), loader: "ts" },
      // Inside the checkout, so the bundle's external imports resolve from node_modules.
      outdir: join(process.cwd(), "node_modules", ".cache", "error-names"),
      entryNames: `errors-${process.pid}`,
      sourcemap: false,
      metafile: true,
      logLevel: "silent",
    });
    const [file] = Object.keys(result.metafile.outputs);
    const code = await readFile(file ?? "", "utf8");
    const bundled = await import(pathToFileURL(join(process.cwd(), file ?? "")).href);

    // Act
    const names = {
      ValidationError: new bundled.ValidationError([]).name,
      ConflictError: new bundled.ConflictError("f", "m").name,
      NotFoundError: new bundled.NotFoundError("x").name,
      UnauthorizedError: new bundled.UnauthorizedError().name,
      ForbiddenError: new bundled.ForbiddenError("m").name,
      PayloadTooLargeError: new bundled.PayloadTooLargeError("f", "m", 1).name,
      UnsupportedMediaTypeError: new bundled.UnsupportedMediaTypeError("m").name,
      BlockedIpError: new bundled.BlockedIpError(2, 1).name,
      TooManyAttemptsError: new bundled.TooManyAttemptsError(2, 1).name,
      ContactFileError: new bundled.ContactFileError("m").name,
    };

    // Assess: the minifier renamed the classes, the errors still say what they are.
    expect(code).not.toContain("class ValidationError");
    for (const [expected, actual] of Object.entries(names)) expect(actual).toBe(expected);
  });
});
