/**
 * Builds the real app (infra/pbx-app.ts) for the infra tests. Bundling the seven functions with
 * esbuild is the slow part of a synth, so it is skipped unless a test asks for it; the templates
 * are the same either way apart from the asset hashes.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type Stack } from "aws-cdk-lib";
import type { CloudAssembly } from "aws-cdk-lib/cx-api";
import { buildPbxApp, type PbxStacks } from "../../infra/pbx-app.js";

export interface SynthesizedPbx extends PbxStacks {
  app: App;
  assembly: CloudAssembly;
  stacks: Stack[];
}

/** The context of cdk.json (stage default and feature flags), as `cdk synth` passes it to the app. */
export const cdkJsonContext: Record<string, unknown> = JSON.parse(
  readFileSync(new URL("../../cdk.json", import.meta.url), "utf8"),
).context;

/**
 * A stand-in for web/dist with the layout the web stack deploys (pages, the API reference page,
 * hashed assets), so the infra tests need no Vite build; only the asset hashes differ.
 */
function webDistFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "pbx-web-dist-"));
  mkdirSync(join(dir, "api/docs"), { recursive: true });
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), '<!doctype html><script type="module" src="/assets/app-0000.js"></script>');
  writeFileSync(
    join(dir, "api/docs/index.html"),
    '<!doctype html><script type="module" src="/assets/docs-0000.js"></script>',
  );
  writeFileSync(join(dir, "assets/app-0000.js"), "export {};");
  writeFileSync(join(dir, "assets/docs-0000.js"), "export {};");
  return dir;
}

export function synthPbx(context: Record<string, unknown> = {}, options: { bundle?: boolean } = {}): SynthesizedPbx {
  const app = new App({
    context: {
      ...cdkJsonContext,
      // `aws:cdk:bundling-stacks: []` tells NodejsFunction to skip esbuild; asset metadata (as the CLI
      // turns on) records where each bundle was written.
      ...(options.bundle ? { "aws:cdk:enable-asset-metadata": true } : { "aws:cdk:bundling-stacks": [] }),
      webDist: webDistFixture(),
      ...context,
    },
  });
  const built = buildPbxApp(app);
  // Runs the validation plugins too: an unacknowledged AwsSolutions error makes this throw.
  const assembly = app.synth();
  return { ...built, app, assembly, stacks: [built.data, built.mail, built.api, built.listener, built.web] };
}
