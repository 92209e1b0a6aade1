/**
 * Prints each Lambda bundle's size and its module initialisation time in a fresh Node
 * process, built with the exact esbuild configuration the CDK app deploys.
 *
 *   npm run bench            (or: npx tsx bench/bundles.ts [runs])
 *
 * Init time = wall time of `await import(bundle)` in a new `node` process, median of N runs;
 * @aws-sdk/* stays external as in Lambda (resolved from node_modules here).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { esbuildOptions, functionEntries, projectRoot } from "../infra/constructs/pbx-function.js";

const runs = Number(process.argv[2] ?? 15);
const outRoot = join(projectRoot, ".bench");

rmSync(outRoot, { recursive: true, force: true });
mkdirSync(outRoot, { recursive: true });

const rows: string[][] = [];
for (const { name, entry } of functionEntries) {
  const outdir = join(outRoot, name);
  await build({ ...esbuildOptions, entryPoints: { index: join(projectRoot, entry) }, outdir, logLevel: "error" });
  const file = join(outdir, "index.mjs");
  const bytes = statSync(file).size;
  const gzipped = gzipSync(readFileSync(file)).length;
  const samples = Array.from({ length: runs }, () => measureInit(file)).sort((a, b) => a - b);
  rows.push([
    name,
    kib(bytes),
    kib(gzipped),
    ms(samples[Math.floor(samples.length / 2)] ?? 0),
    ms(samples[Math.floor(samples.length * 0.9)] ?? 0),
  ]);
}

const header = ["function", "bundle KiB", "gzip KiB", "init ms (median)", "init ms (p90)"];
console.log(`Node ${process.version}, ${runs} fresh processes per function`);
console.log(table([header, ...rows]));
rmSync(outRoot, { recursive: true, force: true });

function measureInit(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: {
      ...process.env,
      AWS_REGION: "us-east-1",
      LOG_LEVEL: "SILENT",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  });
  return Number(output.toString());
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(1);
}

function ms(value: number): string {
  return value.toFixed(1);
}

function table(lines: string[][]): string {
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? "").length))) ?? [];
  return lines
    .map((line, row) => {
      const text = line
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join("  ");
      return row === 0 ? `${text}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : text;
    })
    .join("\n");
}
